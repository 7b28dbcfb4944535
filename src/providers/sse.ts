/**
 * Incremental Server-Sent Events parser (the subset chat-completion servers use).
 *
 * Feed decoded text in arbitrary pieces with `push`; complete events come out in order.
 * Lines end in \n, \r\n or \r (a trailing \r is held back until the next piece shows
 * whether a \n follows). `data:` lines of one event are joined with \n; `:` lines are
 * comments (keep-alives); an event is dispatched at a blank line.
 */
export interface SseEvent {
  /** `event:` field, when the server names the event. */
  event?: string;
  data: string;
  id?: string;
}

export class SseParser {
  private buf = '';
  private data: string[] = [];
  private event: string | undefined;
  private id: string | undefined;

  push(text: string): SseEvent[] {
    this.buf += text;
    const out: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const lf = this.buf.indexOf('\n', start);
      const cr = this.buf.indexOf('\r', start);
      let end: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        // \r at the very end: wait for the next piece (it may be the first half of \r\n).
        if (cr === this.buf.length - 1) break;
        end = cr;
        next = this.buf[cr + 1] === '\n' ? cr + 2 : cr + 1;
      } else if (lf >= 0) {
        end = lf;
        next = lf + 1;
      } else {
        break;
      }
      this.line(this.buf.slice(start, end), out);
      start = next;
    }
    this.buf = this.buf.slice(start);
    return out;
  }

  /** End of stream: a final event without its blank line is still dispatched. */
  flush(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.buf !== '') {
      const rest = this.buf.endsWith('\r') ? this.buf.slice(0, -1) : this.buf;
      this.buf = '';
      this.line(rest, out);
    }
    this.line('', out);
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.data.length > 0) {
        const ev: SseEvent = { data: this.data.join('\n') };
        if (this.event !== undefined) ev.event = this.event;
        if (this.id !== undefined) ev.id = this.id;
        out.push(ev);
      }
      this.data = [];
      this.event = undefined;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id') this.id = value;
    // `retry:` and unknown fields are ignored.
  }
}
