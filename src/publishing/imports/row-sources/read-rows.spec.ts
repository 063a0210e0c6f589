import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { formatFromContentType, readRows } from '#src/publishing/imports/row-sources/read-rows.js';
import {
  ImportFormatError,
  ImportTooLargeError,
  type ImportFormat,
  type RawRow,
  type ReadRowsOptions,
} from '#src/publishing/imports/row-sources/row.js';

const LIMITS: ReadRowsOptions = { maxRows: 1000, maxBytes: 1_000_000 };

/** A body streamed in chunks of `chunkBytes` bytes (all at once by default). */
function body(content: string | Buffer, chunkBytes = Infinity): Readable {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += Math.min(chunkBytes, bytes.length)) {
    chunks.push(bytes.subarray(i, i + chunkBytes));
  }
  return Readable.from(chunks);
}

async function rows(
  format: ImportFormat,
  content: string | Buffer,
  options: Partial<ReadRowsOptions> & { chunkBytes?: number } = {},
): Promise<RawRow[]> {
  const { chunkBytes, ...limits } = options;
  const out: RawRow[] = [];
  for await (const row of readRows(body(content, chunkBytes), format, { ...LIMITS, ...limits })) {
    out.push(row);
  }
  return out;
}

/** The error that reading the whole body throws. */
async function failure(
  format: ImportFormat,
  content: string | Buffer,
  options: Partial<ReadRowsOptions> & { chunkBytes?: number } = {},
): Promise<Error> {
  try {
    await rows(format, content, options);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected readRows to throw');
}

describe('formatFromContentType', () => {
  it.each([
    ['text/plain', 'text'],
    ['text/plain; charset=utf-8', 'text'],
    ['TEXT/CSV', 'csv'],
    ['text/csv;charset="UTF-8"', 'csv'],
    ['application/json', 'json'],
    ['application/json; charset=us-ascii', 'json'],
    ['application/xml', undefined],
    ['text/csv; charset=iso-8859-1', undefined],
    ['multipart/form-data; boundary=x', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %j', (contentType, format) => {
    expect(formatFromContentType(contentType)).toBe(format);
  });
});

describe('text', () => {
  it('reads one trimmed value per line, skipping blank and # lines, with physical lines', async () => {
    const text =
      'a.example\r\n\n# a comment\n  b.example  \r\n   \n\t# indented comment\n192.0.2.1';
    expect(await rows('text', text)).toEqual([
      { line: 1, value: 'a.example' },
      { line: 4, value: 'b.example' },
      { line: 7, value: '192.0.2.1' },
    ]);
  });

  it('ignores a BOM and reads an empty body as no rows', async () => {
    expect(await rows('text', '\ufeffa.example\n')).toEqual([{ line: 1, value: 'a.example' }]);
    expect(await rows('text', '')).toEqual([]);
  });

  it('decodes multi-byte characters split across chunks', async () => {
    const text = 'bücher.de\r\nпример.рф\n😀.example\n# ü\n';
    const expected = [
      { line: 1, value: 'bücher.de' },
      { line: 2, value: 'пример.рф' },
      { line: 3, value: '😀.example' },
    ];
    expect(await rows('text', text)).toEqual(expected);
    expect(await rows('text', text, { chunkBytes: 1 })).toEqual(expected);
    expect(await rows('text', text, { chunkBytes: 2 })).toEqual(expected);
  });

  it('rejects a row whose line is too long or has a NUL, without failing the import', async () => {
    const long = 'x'.repeat(30);
    const text = `ok.example\n${long}\n# ${long}\nnul\0.example\nlast.example`;
    const result = await rows('text', text, { maxFieldLength: 20, chunkBytes: 7 });
    expect(result).toEqual([
      { line: 1, value: 'ok.example' },
      { line: 2, value: '', error: 'value is longer than 20 characters' },
      { line: 4, value: '', error: 'value contains a NUL character' },
      { line: 5, value: 'last.example' },
    ]);
  });

  it('does not accumulate a line far longer than the field limit', async () => {
    const text = `a.example\n${'y'.repeat(5000)}\n#${'z'.repeat(5000)}\nb.example`;
    const result = await rows('text', text, { maxFieldLength: 10, chunkBytes: 100 });
    expect(result).toEqual([
      { line: 1, value: 'a.example' },
      { line: 2, value: '', error: 'the line is longer than 10 characters' },
      { line: 4, value: 'b.example' },
    ]);
  });
});

describe('csv', () => {
  it('maps the header columns case-insensitively, splitting tags on ";"', async () => {
    const csv = [
      'Value,TYPE,valid_from,valid_until,tlp,confidence,tags,source,description',
      'evil.example,domain,2026-01-01,2026-02-01,amber,80,malware; c2 ;,feed-1,Seen in a campaign',
      '192.0.2.1,,,,,,,,',
    ].join('\n');
    const result = await rows('csv', csv);
    expect(result).toEqual([
      {
        line: 2,
        value: 'evil.example',
        type: 'domain',
        validFrom: '2026-01-01',
        validUntil: '2026-02-01',
        tlp: 'amber',
        confidence: '80',
        tags: ['malware', 'c2'],
        source: 'feed-1',
        description: 'Seen in a campaign',
      },
      { line: 3, value: '192.0.2.1' },
    ]);
    expect(result[1].type).toBeUndefined();
    expect(result[1].tags).toBeUndefined();
  });

  it('reads quoted commas, quotes and newlines, with the line where each record starts', async () => {
    const csv = [
      'value,description',
      '"a.example","one, two"',
      '',
      'b.example,"say ""hi"""',
      'c.example,"first line',
      'second line\r',
      'third line"',
      '   ',
      '"d.example" , "x"',
      'e.example,',
    ].join('\n');
    const expected = [
      { line: 2, value: 'a.example', description: 'one, two' },
      { line: 4, value: 'b.example', description: 'say "hi"' },
      { line: 5, value: 'c.example', description: 'first line\nsecond line\r\nthird line' },
      { line: 9, value: 'd.example', description: 'x' },
      { line: 10, value: 'e.example' },
    ];
    expect(await rows('csv', csv)).toEqual(expected);
    // Split everywhere, including inside quoted fields and between \r and \n.
    expect(await rows('csv', csv, { chunkBytes: 1 })).toEqual(expected);
  });

  it('accepts CRLF line ends and a BOM, also split across chunks', async () => {
    const csv = '\ufeffvalue,tags\r\nbücher.de,"a;b"\r\n\r\nпример.рф,c\r\n';
    const expected = [
      { line: 2, value: 'bücher.de', tags: ['a', 'b'] },
      { line: 4, value: 'пример.рф', tags: ['c'] },
    ];
    expect(await rows('csv', csv)).toEqual(expected);
    expect(await rows('csv', csv, { chunkBytes: 1 })).toEqual(expected);
  });

  it('refuses unknown columns, naming them', async () => {
    const error = await failure('csv', 'value,kind,Comment\nx,y,z\n');
    expect(error).toBeInstanceOf(ImportFormatError);
    expect(error.message).toMatch(/unknown columns "kind", "comment"/);
    expect((error as ImportFormatError).line).toBe(1);
  });

  it.each([
    ['type,tags\ndomain,a\n', /no "value" column/],
    ['value,type,VALUE\nx,y,z\n', /repeated column "value"/],
    ['evil.example\n', /unknown column "evil.example"/],
    ['', /empty: the first line must be a header/],
    ['\ufeff\r\n\r\n', /empty: the first line must be a header/],
  ])('refuses the header of %j', async (csv, message) => {
    const error = await failure('csv', csv);
    expect(error).toBeInstanceOf(ImportFormatError);
    expect(error.message).toMatch(message);
  });

  it('reads a header alone as no rows', async () => {
    expect(await rows('csv', 'value,type\n')).toEqual([]);
  });

  it.each([
    ['value,type\na,b\n\n"c,d\n', 4, /a quoted field is not closed/],
    ['value,type\na,b\nc,d"e"\n', 3, /misplaced quote/],
    ['value,type\na,b\nc,"d"e\n', 3, /misplaced quote/],
    ['value,type\n"a\nb",c\nd\n', 4, /1 field where the header has 2/],
    ['value\na\nb,c\n', 3, /2 fields where the header has 1/],
  ])('fails on broken CSV %j at the line of the record', async (csv, line, message) => {
    for (const chunkBytes of [Infinity, 1]) {
      const error = await failure('csv', csv, { chunkBytes });
      expect(error).toBeInstanceOf(ImportFormatError);
      expect(error.message).toMatch(message);
      expect((error as ImportFormatError).line).toBe(line);
    }
  });

  it('fails on a runaway quoted field before holding the rest of the body', async () => {
    const csv = `value\na.example\n"b.example\n${'c.example\n'.repeat(1000)}`;
    const error = await failure('csv', csv, { maxFieldLength: 10, chunkBytes: 64 });
    expect(error).toBeInstanceOf(ImportFormatError);
    expect(error.message).toMatch(/record at line 3: the record is longer than 1384 bytes/);
  });

  it('rejects rows with an empty value or a field too long, without failing the import', async () => {
    const csv = `value,description\n,x\na.example,${'d'.repeat(11)}\nb.example,${'d'.repeat(10)}\n`;
    expect(await rows('csv', csv, { maxFieldLength: 10 })).toEqual([
      { line: 2, value: '', error: 'the value is empty' },
      { line: 3, value: '', error: 'description is longer than 10 characters' },
      { line: 4, value: 'b.example', description: 'd'.repeat(10) },
    ]);
  });
});

describe('json', () => {
  it('reads an array of strings and objects; line is the index of the item', async () => {
    const json = `[
      " a.example ",
      {"value": "b.example", "type": "domain", "valid_from": "2026-01-01",
       "valid_until": null, "tlp": "red", "confidence": 90, "tags": ["x", "y"],
       "source": "s", "description": "d"},
      {"value": "192.0.2.1", "confidence": "high"}
    ]`;
    expect(await rows('json', json)).toEqual([
      { line: 1, value: 'a.example' },
      {
        line: 2,
        value: 'b.example',
        type: 'domain',
        validFrom: '2026-01-01',
        tlp: 'red',
        confidence: 90,
        tags: ['x', 'y'],
        source: 's',
        description: 'd',
      },
      { line: 3, value: '192.0.2.1', confidence: 'high' },
    ]);
  });

  it('reads {"indicators": [...]} and empty arrays', async () => {
    expect(await rows('json', '{"indicators": ["a.example", {"value": "b.example"}]}')).toEqual([
      { line: 1, value: 'a.example' },
      { line: 2, value: 'b.example' },
    ]);
    expect(await rows('json', '[]')).toEqual([]);
    expect(await rows('json', ' { "indicators" : [ ] } \n')).toEqual([]);
  });

  it('yields bad items with an error and goes on', async () => {
    const json = JSON.stringify([
      42,
      null,
      ['a.example'],
      true,
      {},
      { value: null },
      { value: 7 },
      { value: 'c.example', tags: 'x;y' },
      { value: 'd.example', tags: ['x', 1] },
      { value: 'e.example', confidence: true },
      { value: 'f.example', type: 4 },
      { value: 'g.example', comment: 'typo' },
      '',
      'h.example',
    ]);
    expect(await rows('json', json)).toEqual([
      { line: 1, value: '', error: 'an item must be a string or an object, not a number' },
      { line: 2, value: '', error: 'an item must be a string or an object, not null' },
      { line: 3, value: '', error: 'an item must be a string or an object, not an array' },
      { line: 4, value: '', error: 'an item must be a string or an object, not a boolean' },
      { line: 5, value: '', error: 'the item has no "value"' },
      { line: 6, value: '', error: 'the item has no "value"' },
      { line: 7, value: '', error: 'value must be a string, not a number' },
      { line: 8, value: '', error: 'tags must be an array of strings' },
      { line: 9, value: '', error: 'tags must be an array of strings' },
      { line: 10, value: '', error: 'confidence must be a number or a string, not a boolean' },
      { line: 11, value: '', error: 'type must be a string, not a number' },
      { line: 12, value: '', error: 'unknown field "comment"' },
      { line: 13, value: '', error: 'the value is empty' },
      { line: 14, value: 'h.example' },
    ]);
  });

  it('does not let "__proto__" through as a field', async () => {
    const result = await rows('json', '[{"value": "a.example", "__proto__": {"type": "x"}}]');
    expect(result).toEqual([{ line: 1, value: '', error: 'unknown field "__proto__"' }]);
  });

  it('reads a BOM and multi-byte characters fed one byte at a time', async () => {
    const json = '\ufeff[\n"bücher.de",\n{"value": "пример.рф", "description": "😀 \\u00e9"}\n]';
    const expected = [
      { line: 1, value: 'bücher.de' },
      { line: 2, value: 'пример.рф', description: '😀 é' },
    ];
    expect(await rows('json', json)).toEqual(expected);
    expect(await rows('json', json, { chunkBytes: 1 })).toEqual(expected);
  });

  it.each([
    ['[\n  "a",\n  x\n]', 3, 3, /unexpected "x"/],
    ['["a", "b",]', 1, 11, /expected an item after ",", found "\]"/],
    ['["a" "b"]', 1, 6, /expected "," or "\]", found string "b"/],
    ['[{"value" "a"}]', 1, 11, /unexpected string "a"/],
    ['["é", \n  {"value": "a"}}]', 2, 17, /expected "," or "\]", found "}"/],
    ['["é", "😀" "c"]', 1, 12, /expected "," or "\]", found string "c"/],
    ['["a", "b"', 1, 10, /ends before the JSON is complete/],
    ['["a", "b', 1, 9, /ends inside a value/],
    ['', 1, 1, /the body is empty/],
    ['  \n ', 2, 2, /the body is empty/],
    ['"a.example"', 1, 1, /expected an array or {"indicators": \[...\]}, found string/],
    ['{"items": []}', 1, 2, /expected "indicators".*found string "items"/],
    ['{"indicators": "a"}', 1, 16, /expected an array, found string "a"/],
    ['{"indicators": [], "total": 0}', 1, 18, /"indicators" is the only key/],
    ['{}', 1, 2, /expected "indicators"/],
    ['["a"]\n["b"]', 2, 1, /nothing after the end/],
  ])('fails on malformed JSON %j with its position', async (json, line, column, message) => {
    for (const chunkBytes of [Infinity, 1, 3]) {
      const error = await failure('json', json, { chunkBytes });
      expect(error).toBeInstanceOf(ImportFormatError);
      expect(error.message).toMatch(message);
      expect(error.message).toContain(`line ${line}, column ${column}`);
      expect(error).toMatchObject({ line, column });
    }
  });
});

describe('limits', () => {
  const formats: [ImportFormat, (n: number) => string][] = [
    ['text', (n) => Array.from({ length: n }, (_, i) => `h${i}.example\n`).join('')],
    ['csv', (n) => 'value\n' + Array.from({ length: n }, (_, i) => `h${i}.example\n`).join('')],
    ['json', (n) => JSON.stringify(Array.from({ length: n }, (_, i) => `h${i}.example`))],
  ];

  it.each(formats)('%s: maxRows rows pass, one more fails the import', async (format, make) => {
    expect(await rows(format, make(5), { maxRows: 5 })).toHaveLength(5);
    const error = await failure(format, make(6), { maxRows: 5 });
    expect(error).toBeInstanceOf(ImportFormatError);
    expect(error.message).toBe('too many rows: the limit is 5');
  });

  it('counts rejected rows but not comments or blank lines', async () => {
    expect(await rows('text', '# c\n\na\nb\n\n# d\n', { maxRows: 2 })).toHaveLength(2);
    expect(await failure('json', '[1, 2, 3]', { maxRows: 2 })).toBeInstanceOf(ImportFormatError);
  });

  it.each(formats)('%s: maxBytes bytes pass, one more is too large', async (format, make) => {
    const content = make(50);
    const size = Buffer.byteLength(content);
    expect(await rows(format, content, { maxBytes: size, chunkBytes: 64 })).toHaveLength(50);
    const error = await failure(format, content, { maxBytes: size - 1, chunkBytes: 64 });
    expect(error).toBeInstanceOf(ImportTooLargeError);
    expect(error).not.toBeInstanceOf(ImportFormatError);
    expect(error).toMatchObject({ maxBytes: size - 1 });
  });

  it('stops reading an endless body at maxBytes and destroys it', async () => {
    let pulled = 0;
    let closed = false;
    function* endless(): Generator<Buffer> {
      try {
        for (;;) {
          pulled++;
          yield Buffer.from('a.example\n'.repeat(100));
        }
      } finally {
        closed = true;
      }
    }
    let count = 0;
    const read = async () => {
      for await (const _ of readRows(Readable.from(endless()), 'text', {
        maxRows: 1_000_000,
        maxBytes: 100_000,
      })) {
        count++;
      }
    };
    await expect(read()).rejects.toBeInstanceOf(ImportTooLargeError);
    expect(count).toBeLessThanOrEqual(10_000);
    expect(pulled).toBeLessThan(120);
    expect(closed).toBe(true);
  });

  it('reads no further than needed when the consumer is slow or stops', async () => {
    let pulled = 0;
    let closed = false;
    function* endless(): Generator<Buffer> {
      try {
        for (let i = 0; ; i++) {
          pulled++;
          yield Buffer.from(`h${i}.example\n`);
        }
      } finally {
        closed = true;
      }
    }
    const seen: number[] = [];
    for await (const row of readRows(Readable.from(endless()), 'text', LIMITS)) {
      seen.push(row.line);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([1, 2, 3]);
    // Only the stream's own read-ahead (highWaterMark 16 objects) beyond the rows consumed.
    expect(pulled).toBeLessThan(25);
    expect(closed).toBe(true);
  });

  it('refuses invalid UTF-8, with its byte offset', async () => {
    const bad = Buffer.concat([
      Buffer.from('a.example\nb'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\n'),
    ]);
    for (const format of ['text', 'csv', 'json'] as const) {
      const error = await failure(format, bad);
      expect(error).toBeInstanceOf(ImportFormatError);
      expect(error.message).toBe('the body is not valid UTF-8 (byte 12)');
    }
    const truncated = Buffer.concat([Buffer.from('a.example\nb'), Buffer.from([0xe2, 0x82])]);
    const error = await failure('text', truncated);
    expect(error).toBeInstanceOf(ImportFormatError);
    expect(error.message).toMatch(/ends in the middle of a UTF-8 character/);
  });

  it('refuses bad options and formats at once', () => {
    const stream = body('');
    expect(() => readRows(stream, 'text', { maxRows: 0, maxBytes: 10 })).toThrow(RangeError);
    expect(() => readRows(stream, 'text', { maxRows: 1, maxBytes: 1.5 })).toThrow(RangeError);
    expect(() => readRows(stream, 'xml' as ImportFormat, LIMITS)).toThrow(/unknown import format/);
  });
});

describe('large bodies, streamed from a generator', () => {
  /** Yields `count` items made by `item`, in chunks of about 64 KiB. */
  function* chunks(
    count: number,
    item: (i: number) => string,
    head = '',
    tail = '',
  ): Generator<Buffer> {
    let parts: string[] = [head];
    let size = head.length;
    for (let i = 0; i < count; i++) {
      const part = item(i);
      parts.push(part);
      size += part.length;
      if (size >= 65_536) {
        yield Buffer.from(parts.join(''));
        parts = [];
        size = 0;
      }
    }
    parts.push(tail);
    yield Buffer.from(parts.join(''));
  }

  it('reads 1,000,000 text rows', async () => {
    const limits = { maxRows: 1_000_000, maxBytes: 100_000_000 };
    const source = Readable.from(chunks(1_000_000, (i) => `host-${i}.example.com\r\n`));
    let count = 0;
    let last: RawRow | undefined;
    for await (const row of readRows(source, 'text', limits)) {
      count++;
      last = row;
    }
    expect(count).toBe(1_000_000);
    expect(last).toEqual({ line: 1_000_000, value: 'host-999999.example.com' });
  });

  it('reads 200,000 JSON rows', async () => {
    const limits = { maxRows: 1_000_000, maxBytes: 100_000_000 };
    const item = (i: number) =>
      `${i === 0 ? '' : ','}{"value":"host-${i}.example.com","type":"domain","tags":["a"],"confidence":${i % 100}}\n`;
    const source = Readable.from(chunks(200_000, item, '{"indicators":[', ']}'));
    let count = 0;
    let last: RawRow | undefined;
    for await (const row of readRows(source, 'json', limits)) {
      count++;
      last = row;
    }
    expect(count).toBe(200_000);
    expect(last).toEqual({
      line: 200_000,
      value: 'host-199999.example.com',
      type: 'domain',
      tags: ['a'],
      confidence: 99,
    });
  });
});
