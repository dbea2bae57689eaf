import { describe, expect, it } from 'vitest';
import { withCallbackData } from '../../../src/whatsapp/index.js';
import {
  fillParameters,
  findTemplate,
  linkRequestNotice,
  renderLinkRequestNotice,
  renderTemplate,
  TEMPLATES,
  type TemplateContext,
  templateCategoryOf,
  templateLanguageFor,
} from '../../../templates/index.js';
import { validateOas } from '../../support/openapi.js';

const ctx: TemplateContext = {
  participant: { name: 'Siti  Aminah', language: 'jv' },
  bill: { period: '2026-11', outstanding: 36_800, dueDate: '2026-11-15' },
  unpaid: [
    { period: '2026-10', outstanding: 36_800, dueDate: '2026-10-15' },
    { period: '2026-11', outstanding: 36_800, dueDate: '2026-11-15' },
  ],
  today: '2026-11-10',
};

describe('template registry', () => {
  it('ships iuran_reminder and iuran_overdue as utility templates in id and en', () => {
    for (const name of ['iuran_reminder', 'iuran_overdue']) {
      const t = findTemplate(name);
      expect(t?.category).toBe('utility');
      expect(t?.languages).toEqual(['id', 'en']);
      expect(t?.quickReplyPayloads).toHaveLength(3);
    }
    expect(findTemplate('promo')).toBeUndefined();
    expect([...TEMPLATES.keys()].sort()).toEqual(['iuran_overdue', 'iuran_reminder']);
  });

  it('fills iuran_reminder: name, amount due, unpaid periods, due date; buttons bill, pay, stop', () => {
    const reminder = findTemplate('iuran_reminder')!;
    expect(fillParameters(reminder, ctx, 'id')).toEqual([
      'Siti Aminah',
      'Rp73.600',
      'Oktober 2026, November 2026',
      '15 November 2026',
    ]);
    expect(fillParameters(reminder, ctx, 'en')[2]).toBe('October 2026, November 2026');
    expect(reminder.quickReplyPayloads).toEqual(['BILL', 'PAY', 'STOP']);
  });

  it('fills iuran_overdue: name, arrears, months unpaid, earliest period; buttons bill, pay, agent', () => {
    const overdue = findTemplate('iuran_overdue')!;
    expect(fillParameters(overdue, ctx, 'id')).toEqual(['Siti Aminah', 'Rp36.800', '1', 'Oktober 2026']);
    expect(overdue.quickReplyPayloads).toEqual(['BILL', 'PAY', 'AGENT']);
  });

  it('writes many periods as a range', () => {
    const many = Array.from({ length: 5 }, (_, i) => ({
      period: `2026-0${i + 1}`,
      outstanding: 16_800,
      dueDate: `2026-0${i + 1}-15`,
    }));
    const params = fillParameters(findTemplate('iuran_reminder')!, { ...ctx, unpaid: many }, 'id');
    expect(params[1]).toBe('Rp84.000');
    expect(params[2]).toBe('Januari 2026 – Mei 2026');
  });

  it('Javanese speakers get id, English speakers en, unless the registry lacks it', () => {
    const reminder = findTemplate('iuran_reminder')!;
    expect(templateLanguageFor(reminder, 'jv', 'en')).toBe('id');
    expect(templateLanguageFor(reminder, 'en', 'id')).toBe('en');
    expect(templateLanguageFor({ ...reminder, languages: ['id'] }, 'en', 'id')).toBe('id');
  });

  it("renders a body that Meta's OpenAPI accepts, with the callback data every send carries", () => {
    for (const t of TEMPLATES.values()) {
      for (const lang of t.languages) {
        const body = withCallbackData(renderTemplate(t, '6281234567890', ctx, lang), 'msg:42');
        expect(validateOas('TemplateMessage', body).errors).toBe('');
        expect(validateOas('Message', body).valid).toBe(true);
        expect(body.template.language.code).toBe(lang);
      }
    }
  });
});

describe('notice templates', () => {
  it('the link request notice is a utility template no campaign can name', () => {
    expect(findTemplate(linkRequestNotice.name)).toBeUndefined();
    expect(templateCategoryOf(linkRequestNotice.name)).toBe('utility');
    expect(templateCategoryOf('iuran_reminder')).toBe('utility');
    expect(templateCategoryOf('promo')).toBeUndefined();
  });

  it('renders the link request notice for the Cloud API: name, masked number, masked KPJ; an officer button', () => {
    const body = renderLinkRequestNotice(
      '6281234567801',
      { name: 'Siti\nAminah', requester: '62813****9999', kpj: '*******1111' },
      'id',
    );
    expect(validateOas('TemplateMessage', body).errors).toBe('');
    const params = body.template.components?.find((c) => c.type === 'body');
    expect(params?.type === 'body' && params.parameters.map((p) => p.text)).toEqual([
      'Siti Aminah',
      '62813****9999',
      '*******1111',
    ]);
    const button = body.template.components?.find((c) => c.type === 'button');
    expect(button?.type === 'button' && button.parameters[0]?.payload).toBe('AGENT');
  });
});
