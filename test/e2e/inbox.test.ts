import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTranslator } from '../../src/conversations/index.js';
import {
  BUDI,
  type HandoffHarness,
  type Sent,
  SITI,
  STRANGER,
  sleep,
  startHandoffHarness,
} from '../integration/handoff/support.js';
import { hasServers } from '../support/servers.js';

// The inbox page in a real headless Chromium (Debian's package, driven by playwright-core: no browser
// download). Missing Chromium skips this file with one line locally and fails it under CI=true.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const ci = process.env.CI === 'true';
if (!haveChromium && !ci)
  console.warn(`\n  e2e inbox test SKIPPED: ${CHROMIUM} not found (apt-get install chromium)\n`);

// The flags the machine's probe used: no background connections that a closed network refuses.
const FLAGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const t = createTranslator();
type TextNode = { textContent: string | null };

describe.runIf(ci && !haveChromium)('e2e: inbox', () => {
  it('needs Chromium under CI=true', () => {
    throw new Error(`CI=true but ${CHROMIUM} is missing: .ci/run installs the chromium package`);
  });
});

describe.runIf(haveChromium && hasServers)('e2e: an agent answers in the inbox page', () => {
  let h: HandoffHarness;
  let browser: Browser;
  let page: Page;
  let base = '';

  beforeAll(async () => {
    // Monday 23 November 2026, 10:00 WIB for the bot: the office is open
    h = await startHandoffHarness({ now: () => new Date('2026-11-23T03:00:00Z') });
    base = await h.t.app.listen({ port: 0, host: '127.0.0.1' });
    // playwright gives every launch a new, empty profile directory of its own
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      chromiumSandbox: false,
      args: FLAGS,
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  const toSiti = () => h.sent.filter((b) => b.to === SITI);
  const waitForSent = async (n: number): Promise<Sent[]> => {
    for (let i = 0; i < 100 && toSiti().length < n; i++) await sleep(50);
    return toSiti();
  };

  it('queue, claim, reply, a live answer, resolve; the Cloud API bodies are the ones expected', async () => {
    // the participant asks for an officer and says why
    await h.write(SITI, 'AGEN');
    await waitForSent(1);
    await h.write(SITI, 'Iuran Oktober saya kok belum tercatat ya?');
    // a stranger whose name and words are markup: both must stay text
    const xssName = '<img src=x onerror="window.__xss=1">Tamu';
    const xssText = '<b>tebal</b><script>window.__xss=2</script>';
    await h.write(STRANGER, 'agen', xssName);
    await h.write(STRANGER, xssText, xssName);

    await page.goto(`${base}/inbox`);
    await page.fill('#key', h.keys.ani);
    await page.click('#signin-button');
    await page.waitForSelector('#queue-list li');
    const item = page.locator('#queue-list li', { hasText: 'Siti Aminah' });
    await expect.poll(() => item.textContent()).toContain('minta petugas');
    await expect.poll(() => page.locator('#queue-list li .name').allTextContents()).toContain(xssName);
    await item.click();
    await page.waitForSelector('#conv:not([hidden])');

    await page.click('#claim');
    await expect.poll(() => page.locator('#send').isDisabled()).toBe(false);
    expect(await page.locator('#window-info').textContent()).toMatch(/^Jendela 24 jam terbuka: sisa 2[34] j/);

    const reply = 'Selamat siang Bu Siti, saya Ani. Iuran Oktober dan November belum tercatat.';
    await page.fill('#reply-text', reply);
    await page.click('#send');
    const [, agentBody] = await waitForSent(2);
    expect(agentBody).toMatchObject({ type: 'text', to: SITI, text: { body: reply, preview_url: false } });
    await expect
      .poll(() => page.locator('#messages li[data-author="agent"] .text').last().textContent())
      .toBe(reply);

    // the participant answers; the page shows it without a reload
    const answer = 'Baik Bu, nanti sore saya bayar lewat BRImo.';
    const marker = await page.evaluate(() => {
      (globalThis as unknown as { __marker: string }).__marker = 'same page';
      return 'same page';
    });
    await h.write(SITI, answer);
    await page.waitForFunction(
      (text) =>
        Array.from(
          (
            globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<TextNode> } }
          ).document.querySelectorAll('#messages li[data-author="participant"] .text'),
        ).some((n) => n.textContent === text),
      answer,
      { timeout: 8000 },
    );
    expect(await page.evaluate(() => (globalThis as unknown as { __marker: string }).__marker)).toBe(marker);

    // a screenshot of a real conversation (UPDATE_SCREENSHOT=1 writes it to docs/inbox.png)
    const shot = join(mkdtempSync(join(tmpdir(), 'tagih-inbox-')), 'inbox.png');
    await page.screenshot({ path: shot });
    if (process.env.UPDATE_SCREENSHOT === '1') copyFileSync(shot, join(process.cwd(), 'docs', 'inbox.png'));

    await page.click('#resolve');
    const bodies = await waitForSent(3);
    expect(bodies.map((b) => b.text?.body)).toEqual([
      t('id', 'agent.on_duty'),
      reply,
      t('id', 'handoff.resolved'),
    ]);
    await expect.poll(() => page.locator('#queue-list li', { hasText: 'Siti Aminah' }).count()).toBe(0);
    expect(await page.locator('#notice').textContent()).toBe('Percakapan dikembalikan ke bot.');

    // the stranger's conversation: the markup shows as written, and nothing ran
    await page.locator('#queue-list li', { hasText: 'Tamu' }).click();
    const strangerText = page.locator('#messages li[data-author="participant"] .text').last();
    await expect.poll(() => strangerText.textContent()).toBe(xssText);
    expect(await page.locator('#conv-name').textContent()).toBe(xssName);
    expect(await page.locator('img, b, #messages script, #queue-list script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();

    // English is one click away
    await page.selectOption('#lang', 'en');
    expect(await page.locator('h1').textContent()).toBe('Agent inbox');
  });

  it('on a phone: a link request shows what was typed and the registered number; the holder approves it', async () => {
    const asker = '6281299990001';
    for (const text of ['menu', '1', 'ya', '11111111111', '17-08-1965'])
      await h.write(asker, text, 'Nomor Baru');
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(`${base}/inbox`);
    await phone.fill('#key', h.keys.bayu);
    await phone.click('#signin-button');
    const item = phone.locator('#queue-list li', { hasText: 'Nomor Baru' });
    await expect.poll(() => item.textContent()).toContain('minta hubungkan nomor');
    await item.click();
    await phone.waitForSelector('#link-request:not([hidden])');
    expect(await phone.locator('#link-typed').textContent()).toBe(
      'Pengirim mengetik KPJ 11111111111 (Siti Aminah) dan tanggal lahir yang cocok. Belum ada yang ditampilkan kepadanya.',
    );
    expect(await phone.locator('#link-registered').textContent()).toMatch(
      /^Nomor terdaftar peserta: 6281234560001\. Pemberitahuan ke nomor itu: (dalam antrean|diterima WhatsApp)\.$/,
    );
    expect(await phone.locator('#link-state').textContent()).toBe(
      'Ambil percakapan ini dulu untuk memutuskan.',
    );
    expect(await phone.locator('#link-approve').isDisabled()).toBe(true);
    // the page fits the phone: nothing to scroll sideways
    expect(
      await phone.evaluate(
        () =>
          (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document
            .documentElement.scrollWidth,
      ),
    ).toBeLessThanOrEqual(390);

    await phone.click('#claim');
    await expect.poll(() => phone.locator('#link-approve').isDisabled()).toBe(false);
    await phone.click('#link-approve');
    await expect
      .poll(() => phone.locator('#notice').textContent())
      .toBe('Permintaan disetujui: nomor ini terhubung dengan peserta.');
    await expect.poll(() => phone.locator('#link-state').textContent()).toBe('Disetujui oleh agent-bayu.');
    expect(await phone.locator('#link-actions').isHidden()).toBe(true);
    for (
      let i = 0;
      i < 100 && !h.sent.some((b) => b.to === asker && b.text?.body === t('id', 'link.approved'));
      i++
    )
      await sleep(50);
    expect(
      h.sent.filter((b) => b.to === asker).map((b) => b.text?.body ?? b.interactive?.body.text),
    ).toContain(t('id', 'link.approved'));
    await phone.close();
  });

  it("shows the server's refusal in the page's language", async () => {
    await h.write(BUDI, 'AGEN');
    const desk = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await desk.goto(`${base}/inbox`);
    await desk.fill('#key', h.keys.bayu);
    await desk.click('#signin-button');
    await desk.locator('#queue-list li', { hasText: 'Budi Santoso' }).click();
    await desk.waitForSelector('#claim:not([hidden])');
    // Ani takes the conversation between Bayu's click and the server: the server refuses Bayu
    const asked: string[] = [];
    await desk.route('**/api/handoffs/*/claim', async (route) => {
      asked.push(route.request().headers()['accept-language'] ?? '');
      const url = new URL(route.request().url());
      await h.t.app.inject({ method: 'POST', url: url.pathname, headers: h.as('ani') });
      await route.continue();
    });
    await desk.click('#claim');
    await expect
      .poll(() => desk.locator('#notice').textContent())
      .toBe('Gagal: agent-ani sedang menangani percakapan ini');
    expect(asked).toEqual(['id']);
    await desk.close();
  });
});
