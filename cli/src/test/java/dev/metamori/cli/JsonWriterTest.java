package dev.metamori.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** JSON documents: separators, nesting, escapes. */
class JsonWriterTest {
  @Test
  void writesNestedObjectsAndArraysWithEscapedStrings() {
    StringWriter s = new StringWriter();
    new JsonWriter(new PrintWriter(s))
        .beginObject()
        .name("a").value(1)
        .name("label").value("say \"hi\"\n\\ \u0001 é")
        .name("none").value((String) null)
        .name("list").beginArray()
        .beginObject().name("x").value(true).endObject()
        .beginObject().endObject()
        .value(2.5)
        .value(Double.NaN)
        .endArray()
        .name("empty").beginArray().endArray()
        .endObject()
        .end();
    assertEquals(
        "{\"a\":1,\"label\":\"say \\\"hi\\\"\\n\\\\ \\u0001 é\",\"none\":null,"
            + "\"list\":[{\"x\":true},{},2.5,null],\"empty\":[]}\n",
        s.toString());
  }
}
