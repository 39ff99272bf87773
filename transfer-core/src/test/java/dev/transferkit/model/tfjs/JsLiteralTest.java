package dev.transferkit.model.tfjs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsLiteralTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void readsMinifiedObjectLiterals() throws Exception {
        JsonNode v = JsLiteral.parse("{a:1,$b_2:-.5,\"q\":'it\\'s',nested:{list:[!0,!1,null,undefined,1e-5,.5,+3,],"
                + "x:0x1F},'k k':\"tab\\there\",7:\"seven\",big:12345678901,neg:-2,}", "test.js");
        JsonNode expected = JSON.readTree("{\"a\":1,\"$b_2\":-0.5,\"q\":\"it's\",\"nested\":{\"list\":[true,false,null,null,"
                + "1e-5,0.5,3],\"x\":31},\"k k\":\"tab\\there\",\"7\":\"seven\",\"big\":12345678901,\"neg\":-2}");
        assertEquals(expected, v);
        assertTrue(v.get("a").isInt(), "integer literals stay integers");
        assertTrue(v.get("big").isLong());
        assertTrue(v.get("$b_2").isDouble());
    }

    @Test
    void decodesStringEscapes() {
        JsonNode v = JsLiteral.parse("['\\x41\\u0042\\u{1F600}\\n\\\\\\/\\0', \"a\\\nb\", 'd\"q']", "s.js");
        assertEquals("AB\uD83D\uDE00\n\\/\0", v.get(0).asText());
        assertEquals("ab", v.get(1).asText(), "a backslash before a line break continues the line");
        assertEquals("d\"q", v.get(2).asText());
    }

    @Test
    void skipsCommentsAndWhitespace() {
        JsonNode v = JsLiteral.parse(" /* head */ {\n  a: 1, // one\n  b: [2 /* two */]\n} // tail\n", "c.js");
        assertEquals(1, v.get("a").asInt());
        assertEquals(2, v.get("b").get(0).asInt());
    }

    @Test
    void parsesALiteralInsideLargerText() {
        String module = "!function(){a.exports={modelTopology:{keras_version:\"2.2.4\"},weightsManifest:[]}},{}]";
        int start = module.indexOf("exports=") + "exports=".length();
        JsonNode v = JsLiteral.parseAt(module, start, "model.min.js");
        assertEquals("2.2.4", v.path("modelTopology").path("keras_version").asText());
        assertTrue(v.get("weightsManifest").isArray());
    }

    @Test
    void reportsTheSourceLineAndColumnOfSyntaxErrors() {
        TfjsFormatException e = assertThrows(TfjsFormatException.class,
                () -> JsLiteral.parse("{a:1,\n b:foo()}", "bad.min.js"));
        assertTrue(e.getMessage().contains("bad.min.js"), e.getMessage());
        assertTrue(e.getMessage().contains("line 2, column 4"), e.getMessage());
        assertTrue(e.getMessage().contains("'foo' is an expression"), e.getMessage());
    }

    @Test
    void rejectsMalformedLiterals() {
        String[] bad = {"{a:1", "[1 2]", "'open", "{:1}", "!2", "1e", "-", ".", "{a:1} x", "'\\u12'", "\"a\nb\"", "/* open"};
        for (String text : bad) {
            TfjsFormatException e = assertThrows(TfjsFormatException.class, () -> JsLiteral.parse(text, "bad.js"),
                    "should reject: " + text);
            assertTrue(e.getMessage().contains("bad.js"), e.getMessage());
        }
    }

    @Test
    void rejectsExcessiveNesting() {
        String deep = "[".repeat(10_000) + "]".repeat(10_000);
        TfjsFormatException e = assertThrows(TfjsFormatException.class, () -> JsLiteral.parse(deep, "deep.js"));
        assertTrue(e.getMessage().contains("nested"), e.getMessage());
    }
}
