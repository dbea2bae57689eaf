import { z } from 'zod';

// Who a campaign reminds: participants with an unpaid bill that matches these filters, minus those who
// opted out and numbers WhatsApp said are not on it. The query is repository/audience.ts.

const PERIOD = /^[0-9]{4}-(0[1-9]|1[0-2])$/;

export const audienceSchema = z
  .object({
    category: z.enum(['BPU', 'PU']).optional(),
    /** unpaid bills already past their due date, at least */
    minArrearsMonths: z.number().int().min(0).max(600).optional(),
    maxArrearsMonths: z.number().int().min(0).max(600).optional(),
    /** only bills of these periods (YYYY-MM) */
    periods: z.array(z.string().regex(PERIOD, 'expected YYYY-MM')).min(1).max(240).optional(),
    kpj: z
      .array(z.string().regex(/^[0-9]{11}$/, 'expected 11 digits'))
      .min(1)
      .max(200_000)
      .optional(),
  })
  .strict()
  .refine(
    (a) =>
      a.minArrearsMonths === undefined ||
      a.maxArrearsMonths === undefined ||
      a.minArrearsMonths <= a.maxArrearsMonths,
    { message: 'minArrearsMonths is more than maxArrearsMonths', path: ['maxArrearsMonths'] },
  );

export type Audience = z.infer<typeof audienceSchema>;
