import {
  TokenParser,
  Tokenizer,
  TokenType,
  type JsonTypes,
  type ParsedTokenInfo,
} from '@streamparser/json';
import {
  checked,
  countNewlines,
  IMPORT_FIELDS,
  ImportFormatError,
  rejected,
  type RawRow,
  type RowParser,
} from '#src/publishing/imports/row-sources/row.js';

/** Bytes kept for error positions beyond the last token (a longer token loses precision). */
const MAX_JSON_TAIL = 256 * 1024;

type JsonState =
  | 'start' // before the top-level value
  | 'key' // in the top-level object, before "indicators"
  | 'colon' // after "indicators"
  | 'array' // after "indicators":
  | 'first' // after the opening bracket of the array
  | 'item' // after a comma in the array
  | 'inside' // in a nested item
  | 'after' // after an item
  | 'close' // after the array, in the top-level object
  | 'done';

/** `json`: an array of items, or `{"indicators": [...]}`, read token by token. */
export class JsonRows implements RowParser {
  rows: RawRow[] = [];
  private readonly tokenizer = new Tokenizer();
  /** Assembles each item of the array as one JSON document of its own. */
  private readonly items = new TokenParser({ paths: ['$'], keepStack: false, separator: '' });
  private state: JsonState = 'start';
  private wrapped = false;
  private depth = 0;
  private index = 0;
  /**
   * Error positions: the line and column (1-based) of byte `anchor` of the body, which is the
   * start of the last token seen by the end of the previous slice, and the bytes from there
   * (`tail`) and of the slice being parsed. Tokens are seen in order, so every error is at or
   * after the anchor.
   */
  private anchor = 0;
  private anchorLine = 1;
  private anchorColumn = 1;
  private tail: Buffer = Buffer.alloc(0);
  private slice: Buffer = Buffer.alloc(0);
  private lastToken = 0;

  constructor(private readonly maxFieldLength: number) {
    this.tokenizer.onToken = (token) => this.token(token);
    this.items.onValue = ({ value }) => {
      this.index++;
      this.rows.push(jsonRow(value, this.index, this.maxFieldLength));
    };
  }

  write(bytes: Buffer): void {
    this.slice = bytes;
    try {
      this.tokenizer.write(bytes);
    } catch (error) {
      if (error instanceof ImportFormatError) throw error;
      // The tokenizer names the offending byte's offset only in its message.
      const offset = Number(/absolute position "(\d+)"/.exec(String(error))?.[1]);
      if (Number.isNaN(offset)) throw this.error(this.anchor, String(error));
      const byte = this.window()[offset - this.anchor];
      const shown =
        byte >= 0x20 && byte < 0x7f ? JSON.stringify(String.fromCharCode(byte)) : `byte ${byte}`;
      throw this.error(offset, `unexpected ${shown}`);
    }
    const window = this.window();
    this.slice = Buffer.alloc(0);
    // Move the anchor to the last token, or past everything if the tail would grow too long.
    let advance = this.lastToken - this.anchor;
    if (window.length - advance > MAX_JSON_TAIL) advance = window.length;
    if (advance > 0) {
      this.moveAnchor(window.subarray(0, advance).toString('utf8'));
      this.anchor += advance;
    }
    this.tail = Buffer.from(window.subarray(advance)); // a copy: the chunk is not retained
  }

  end(): void {
    const atEnd = this.anchor + this.tail.length;
    try {
      this.tokenizer.end(); // emits a number that ends the body
    } catch (error) {
      if (error instanceof ImportFormatError) throw error;
      throw this.error(atEnd, 'the body ends inside a value');
    }
    if (this.state === 'start') throw this.error(atEnd, 'the body is empty');
    if (this.state !== 'done') {
      throw this.error(atEnd, 'the body ends before the JSON is complete');
    }
  }

  private window(): Buffer {
    return this.tail.length === 0 ? this.slice : Buffer.concat([this.tail, this.slice]);
  }

  private moveAnchor(text: string): void {
    const newlines = countNewlines(text);
    this.anchorLine += newlines;
    this.anchorColumn =
      newlines === 0 ? this.anchorColumn + text.length : text.length - text.lastIndexOf('\n');
  }

  private token(token: ParsedTokenInfo): void {
    const type = token.token;
    this.lastToken = token.offset;
    switch (this.state) {
      case 'start':
        if (type === TokenType.LEFT_BRACKET) this.state = 'first';
        else if (type === TokenType.LEFT_BRACE) this.state = 'key';
        else throw this.unexpected(token, 'an array or {"indicators": [...]}');
        return;
      case 'key':
        if (type === TokenType.STRING && token.value === 'indicators') this.state = 'colon';
        else throw this.unexpected(token, '"indicators", the only key of the top-level object');
        return;
      case 'colon':
        if (type !== TokenType.COLON) throw this.unexpected(token, '":"');
        this.state = 'array';
        return;
      case 'array':
        if (type !== TokenType.LEFT_BRACKET) throw this.unexpected(token, 'an array');
        this.wrapped = true;
        this.state = 'first';
        return;
      case 'first':
        if (type === TokenType.RIGHT_BRACKET) return this.endArray();
        return this.startItem(token);
      case 'item':
        if (type === TokenType.RIGHT_BRACKET) throw this.unexpected(token, 'an item after ","');
        return this.startItem(token);
      case 'inside':
        this.forward(token);
        if (type === TokenType.LEFT_BRACE || type === TokenType.LEFT_BRACKET) this.depth++;
        else if (type === TokenType.RIGHT_BRACE || type === TokenType.RIGHT_BRACKET) this.depth--;
        if (this.depth === 0) this.state = 'after';
        return;
      case 'after':
        if (type === TokenType.COMMA) this.state = 'item';
        else if (type === TokenType.RIGHT_BRACKET) this.endArray();
        else throw this.unexpected(token, '"," or "]"');
        return;
      case 'close':
        if (type !== TokenType.RIGHT_BRACE) {
          throw this.unexpected(token, '"}": "indicators" is the only key of the top-level object');
        }
        this.state = 'done';
        return;
      case 'done':
        throw this.unexpected(token, 'nothing after the end of the JSON value');
    }
  }

  private startItem(token: ParsedTokenInfo): void {
    this.forward(token);
    const opens = token.token === TokenType.LEFT_BRACE || token.token === TokenType.LEFT_BRACKET;
    this.depth = opens ? 1 : 0;
    this.state = opens ? 'inside' : 'after';
  }

  private endArray(): void {
    this.state = this.wrapped ? 'close' : 'done';
  }

  private forward(token: ParsedTokenInfo): void {
    try {
      this.items.write(token);
    } catch {
      throw this.unexpected(token);
    }
  }

  private unexpected(token: ParsedTokenInfo, expected?: string): ImportFormatError {
    const shown =
      token.token === TokenType.STRING
        ? `string ${JSON.stringify(String(token.value).slice(0, 40))}`
        : token.token === TokenType.NUMBER
          ? `number ${String(token.value)}`
          : JSON.stringify(String(token.value));
    const problem =
      expected === undefined ? `unexpected ${shown}` : `expected ${expected}, found ${shown}`;
    return this.error(token.offset, problem);
  }

  /** An error at byte `offset` of the body, with its line and column (in characters). */
  private error(offset: number, problem: string): ImportFormatError {
    const before = this.window()
      .subarray(0, Math.max(0, offset - this.anchor))
      .toString('utf8');
    const newlines = countNewlines(before);
    const line = this.anchorLine + newlines;
    const column =
      newlines === 0 ? this.anchorColumn + before.length : before.length - before.lastIndexOf('\n');
    return new ImportFormatError(
      `invalid JSON at line ${line}, column ${column}: ${problem}`,
      line,
      column,
    );
  }
}

const kindOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

const optional = (field: JsonTypes.JsonPrimitive | JsonTypes.JsonStruct | undefined) =>
  (field ?? undefined) as string | undefined;

/** The row of one JSON item. */
function jsonRow(
  item: JsonTypes.JsonPrimitive | JsonTypes.JsonStruct | undefined,
  line: number,
  maxFieldLength: number,
): RawRow {
  if (typeof item === 'string') return checked({ line, value: item.trim() }, maxFieldLength);
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return rejected(line, `an item must be a string or an object, not ${kindOf(item)}`);
  }
  for (const name in item) {
    if (!Object.hasOwn(IMPORT_FIELDS, name)) {
      return rejected(line, `unknown field ${JSON.stringify(name)}`);
    }
    const field = item[name];
    if (field === null) continue;
    if (name === 'confidence') {
      if (typeof field !== 'number' && typeof field !== 'string') {
        return rejected(line, `confidence must be a number or a string, not ${kindOf(field)}`);
      }
    } else if (name === 'tags') {
      if (!Array.isArray(field) || !field.every((tag) => typeof tag === 'string')) {
        return rejected(line, 'tags must be an array of strings');
      }
    } else if (typeof field !== 'string') {
      return rejected(line, `${name} must be a string, not ${kindOf(field)}`);
    }
  }
  if (typeof item.value !== 'string') return rejected(line, 'the item has no "value"');
  // Types checked above; one object shape for all rows.
  const row: RawRow = {
    line,
    value: item.value.trim(),
    type: optional(item.type),
    validFrom: optional(item.valid_from),
    validUntil: optional(item.valid_until),
    tlp: optional(item.tlp),
    confidence: (item.confidence ?? undefined) as string | number | undefined,
    tags: (item.tags ?? undefined) as string[] | undefined,
    source: optional(item.source),
    description: optional(item.description),
  };
  return checked(row, maxFieldLength);
}
