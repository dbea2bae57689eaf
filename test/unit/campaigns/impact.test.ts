import { describe, expect, it } from 'vitest';
import { differenceOfProportions } from '../../../src/campaigns/impact.js';

describe('holdout impact', () => {
  it('gives the difference of two proportions with its 95% interval, as computed by hand', () => {
    // sent 60/200 = 0.30, held out 20/100 = 0.20: difference 0.10
    // SE = sqrt(0.3·0.7/200 + 0.2·0.8/100) = sqrt(0.00105 + 0.0016) = sqrt(0.00265) = 0.0514782
    // 1.959964 · 0.0514782 = 0.1008954, so the interval is [-0.0008954, 0.2008954]
    const r = differenceOfProportions({ n: 200, paid: 60 }, { n: 100, paid: 20 });
    expect(r.uplift).toBeCloseTo(0.1, 10);
    expect(r.ci95![0]).toBeCloseTo(-0.0008954, 6);
    expect(r.ci95![1]).toBeCloseTo(0.2008954, 6);
  });

  it('has no estimate while a group is empty', () => {
    expect(differenceOfProportions({ n: 10, paid: 3 }, { n: 0, paid: 0 })).toMatchObject({
      uplift: null,
      ci95: null,
    });
  });
});
