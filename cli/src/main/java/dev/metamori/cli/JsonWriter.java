package dev.metamori.cli;

import java.io.PrintWriter;

/**
 * Writes one JSON document, compact, to a writer: objects, arrays, strings, numbers, booleans
 * and null. Commas are placed by the writer; the caller opens and closes what it writes.
 */
final class JsonWriter {
  private final PrintWriter out;
  /** Whether the value about to be written is the first in its object or array. */
  private boolean first = true;
  private boolean afterName;

  JsonWriter(PrintWriter out) {
    this.out = out;
  }

  JsonWriter beginObject() {
    separate();
    out.print('{');
    first = true;
    return this;
  }

  JsonWriter endObject() {
    out.print('}');
    first = false;
    return this;
  }

  JsonWriter beginArray() {
    separate();
    out.print('[');
    first = true;
    return this;
  }

  JsonWriter endArray() {
    out.print(']');
    first = false;
    return this;
  }

  /** The name of the next member of the current object. */
  JsonWriter name(String name) {
    separate();
    string(name);
    out.print(':');
    afterName = true;
    return this;
  }

  JsonWriter value(String s) {
    separate();
    if (s == null) {
      out.print("null");
    } else {
      string(s);
    }
    first = false;
    return this;
  }

  JsonWriter value(long n) {
    separate();
    out.print(n);
    first = false;
    return this;
  }

  JsonWriter value(double d) {
    separate();
    out.print(Double.isFinite(d) ? Double.toString(d) : "null");
    first = false;
    return this;
  }

  JsonWriter value(boolean b) {
    separate();
    out.print(b);
    first = false;
    return this;
  }

  /** Ends the document with a newline. */
  void end() {
    out.println();
    out.flush();
  }

  private void separate() {
    if (afterName) {
      afterName = false;
      return;
    }
    if (!first) {
      out.print(',');
    }
    first = false;
  }

  private void string(String s) {
    out.print('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          out.print("\\\"");
          break;
        case '\\':
          out.print("\\\\");
          break;
        case '\n':
          out.print("\\n");
          break;
        case '\r':
          out.print("\\r");
          break;
        case '\t':
          out.print("\\t");
          break;
        default:
          if (c < 0x20) {
            out.printf("\\u%04x", (int) c);
          } else {
            out.print(c);
          }
      }
    }
    out.print('"');
  }
}
