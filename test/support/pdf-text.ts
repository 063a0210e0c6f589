import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

/**
 * The text of each page of a PDF, as pdfjs-dist extracts it: the items in content order, a
 * space at each end of line, runs of white space (no-break spaces too) as one space, NFC.
 */
export async function pdfPages(bytes: Buffer): Promise<string[]> {
  const pdf = await getDocument({
    data: new Uint8Array(bytes),
    useSystemFonts: false,
    disableFontFace: true,
    verbosity: 0,
  }).promise;
  try {
    const pages: string[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      const text = content.items
        .map((item) => ('str' in item ? item.str + (item.hasEOL ? ' ' : '') : ''))
        .join('');
      pages.push(squash(text));
    }
    return pages;
  } finally {
    await pdf.destroy();
  }
}

/**
 * White space runs as one space, none after a hyphen (where a wrapped line may end), trimmed,
 * NFC: how extracted text and expected strings are compared.
 */
export function squash(text: string): string {
  return text.normalize('NFC').replace(/\s+/g, ' ').replace(/- /g, '-').trim();
}

/** The PDF's info dictionary as pdfjs-dist reads it. */
export async function pdfInfo(bytes: Buffer): Promise<Record<string, unknown>> {
  const pdf = await getDocument({ data: new Uint8Array(bytes), verbosity: 0 }).promise;
  try {
    return (await pdf.getMetadata()).info as Record<string, unknown>;
  } finally {
    await pdf.destroy();
  }
}

const run = promisify(execFile);

/** Whether poppler's pdftoppm is on the PATH. */
export async function hasPdftoppm(): Promise<boolean> {
  try {
    await run('pdftoppm', ['-v']);
    return true;
  } catch {
    return false;
  }
}

/**
 * Page `page` rendered by pdftoppm at `dpi` as an 8-bit grey image (PGM, read without an image
 * library): width, height and one byte per pixel, 0 black to 255 white.
 */
export async function renderPageGray(
  bytes: Buffer,
  page: number,
  dpi = 50,
): Promise<{ width: number; height: number; pixels: Buffer }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pdf-page-'));
  try {
    const input = path.join(dir, 'in.pdf');
    await writeFile(input, bytes);
    const prefix = path.join(dir, 'page');
    await run('pdftoppm', [
      '-gray',
      '-r',
      String(dpi),
      '-f',
      String(page),
      '-l',
      String(page),
      '-singlefile',
      input,
      prefix,
    ]);
    const pgm = await readFile(`${prefix}.pgm`);
    // "P5 <width> <height> <maxval>" and one whitespace, then the pixels.
    const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 64).toString('latin1'));
    if (!header || header[3] !== '255') throw new Error('pdftoppm did not write an 8-bit PGM');
    const width = Number(header[1]);
    const height = Number(header[2]);
    return {
      width,
      height,
      pixels: pgm.subarray(header[0].length, header[0].length + width * height),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
