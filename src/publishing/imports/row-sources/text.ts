import {
  checked,
  rejected,
  type RawRow,
  type RowParser,
} from '#src/publishing/imports/row-sources/row.js';

const HASH = 0x23;

/** `text`: one value per line, trimmed; blank lines and `#` comments skipped. */
export class TextRows implements RowParser {
  rows: RawRow[] = [];
  private line = 0;
  /** The start of the line being read. */
  private pending = '';
  /** The line being read passed `maxLine`: the rest of it is dropped. */
  private overlong = false;
  private overlongComment = false;
  private readonly maxLine: number;

  constructor(private readonly maxFieldLength: number) {
    this.maxLine = maxFieldLength + 1024;
  }

  write(_bytes: Buffer, text: string): void {
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      this.endLine(text.slice(start, end));
      start = end + 1;
    }
    if (start < text.length) this.append(text.slice(start));
  }

  end(): void {
    if (this.pending !== '' || this.overlong) this.endLine('');
  }

  private append(part: string): void {
    if (this.overlong) return;
    this.pending += part;
    if (this.pending.length > this.maxLine) {
      this.overlong = true;
      this.overlongComment = this.pending.trimStart().charCodeAt(0) === HASH;
      this.pending = '';
    }
  }

  private endLine(part: string): void {
    this.line++;
    const raw = this.pending === '' ? part : this.pending + part;
    this.pending = '';
    if (this.overlong || raw.length > this.maxLine) {
      const comment = this.overlong ? this.overlongComment : raw.trimStart().charCodeAt(0) === HASH;
      this.overlong = false;
      if (!comment) {
        this.rows.push(
          rejected(this.line, `the line is longer than ${this.maxFieldLength} characters`),
        );
      }
      return;
    }
    const value = raw.trim();
    if (value === '' || value.charCodeAt(0) === HASH) return;
    this.rows.push(checked({ line: this.line, value }, this.maxFieldLength));
  }
}
