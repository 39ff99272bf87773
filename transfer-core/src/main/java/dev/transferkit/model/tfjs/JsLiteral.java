package dev.transferkit.model.tfjs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * A lenient parser for JavaScript object literals as minifiers write them, producing Jackson {@link JsonNode}s.
 *
 * <p>Beyond JSON it accepts unquoted (identifier or numeric) keys, single- and double-quoted strings with
 * JavaScript escapes ({@code \n}, {@code \xHH}, <code>&#92;uHHHH</code>, <code>&#92;u{H...}</code>, line continuations),
 * {@code !0}/{@code !1} for {@code false}/{@code true}, {@code undefined} (read as null), numbers such as
 * {@code -.5}, {@code .5}, {@code +1}, {@code 1e-5} and {@code 0x1F}, trailing commas, and comments. Integer
 * literals become integer nodes and all others double nodes, as Jackson reads JSON. Nothing is evaluated.
 */
public final class JsLiteral {
    private static final int MAX_DEPTH = 512;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private JsLiteral() {
    }

    /**
     * Parses a text that holds exactly one literal (surrounding whitespace and comments allowed).
     *
     * @param text   the literal
     * @param source what the text came from, for error messages (e.g. a file name)
     * @return the value
     * @throws TfjsFormatException naming the source, line and column when the text is not one literal
     */
    public static JsonNode parse(String text, String source) {
        Parser p = new Parser(text, 0, source);
        JsonNode value = p.value();
        p.skipBlank();
        if (p.pos < text.length()) {
            throw p.error("unexpected text after the value");
        }
        return value;
    }

    /**
     * Parses the literal that starts at an offset of a larger text (for example the object after
     * {@code exports=} in a JavaScript module); whatever follows the literal is ignored.
     *
     * @param text   the text
     * @param offset where the literal starts (leading whitespace is skipped)
     * @param source what the text came from, for error messages
     * @return the value
     * @throws TfjsFormatException naming the source, line and column when no literal starts there
     */
    public static JsonNode parseAt(String text, int offset, String source) {
        if (offset < 0 || offset > text.length()) {
            throw new IndexOutOfBoundsException("offset " + offset + " is outside the text of length " + text.length());
        }
        return new Parser(text, offset, source).value();
    }

    /** A recursive-descent parser over one text. */
    private static final class Parser {
        private final String text;
        private final String source;
        private int pos;
        private int depth;

        Parser(String text, int pos, String source) {
            this.text = text;
            this.pos = pos;
            this.source = source;
        }

        JsonNode value() {
            skipBlank();
            if (pos >= text.length()) {
                throw error("expected a value but the text ended");
            }
            char c = text.charAt(pos);
            switch (c) {
                case '{':
                    return object();
                case '[':
                    return array();
                case '"':
                case '\'':
                    return NODES.textNode(string());
                case '!':
                    return negation();
                default:
                    if (c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')) {
                        return number();
                    }
                    if (isIdentifierStart(c)) {
                        return keyword();
                    }
                    throw error("expected a value");
            }
        }

        private ObjectNode object() {
            enter();
            ObjectNode node = NODES.objectNode();
            pos++;
            while (true) {
                skipBlank();
                if (peek() == '}') {
                    pos++;
                    break;
                }
                String key = key();
                skipBlank();
                expect(':');
                node.set(key, value());
                skipBlank();
                char c = peek();
                if (c == ',') {
                    pos++;
                } else if (c == '}') {
                    pos++;
                    break;
                } else {
                    throw error("expected ',' or '}' in an object");
                }
            }
            depth--;
            return node;
        }

        private ArrayNode array() {
            enter();
            ArrayNode node = NODES.arrayNode();
            pos++;
            while (true) {
                skipBlank();
                if (peek() == ']') {
                    pos++;
                    break;
                }
                node.add(value());
                skipBlank();
                char c = peek();
                if (c == ',') {
                    pos++;
                } else if (c == ']') {
                    pos++;
                    break;
                } else {
                    throw error("expected ',' or ']' in an array");
                }
            }
            depth--;
            return node;
        }

        private void enter() {
            if (++depth > MAX_DEPTH) {
                throw error("the literal is nested more than " + MAX_DEPTH + " levels deep");
            }
        }

        private String key() {
            char c = peek();
            if (c == '"' || c == '\'') {
                return string();
            }
            if (isIdentifierStart(c)) {
                return identifier();
            }
            if (c >= '0' && c <= '9' || c == '.') {
                JsonNode n = number();
                return n.isIntegralNumber() ? n.bigIntegerValue().toString() : n.asText();
            }
            throw error("expected a property name");
        }

        private String string() {
            char quote = text.charAt(pos++);
            StringBuilder sb = null;
            int start = pos;
            while (true) {
                if (pos >= text.length()) {
                    throw error("the string that starts at offset " + (start - 1) + " is not closed");
                }
                char c = text.charAt(pos);
                if (c == quote) {
                    String s = sb == null ? text.substring(start, pos) : sb.append(text, start, pos).toString();
                    pos++;
                    return s;
                }
                if (c == '\n' || c == '\r') {
                    throw error("a line break inside a string must be escaped");
                }
                if (c == '\\') {
                    if (sb == null) {
                        sb = new StringBuilder();
                    }
                    sb.append(text, start, pos);
                    pos++;
                    escape(sb);
                    start = pos;
                } else {
                    pos++;
                }
            }
        }

        private void escape(StringBuilder sb) {
            if (pos >= text.length()) {
                throw error("the text ends inside an escape sequence");
            }
            char c = text.charAt(pos++);
            switch (c) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'v' -> sb.append('\u000B');
                case '0' -> {
                    if (pos < text.length() && Character.isDigit(text.charAt(pos))) {
                        throw error("octal escape sequences are not supported");
                    }
                    sb.append('\0');
                }
                case 'x' -> sb.append((char) hex(2));
                case 'u' -> {
                    if (peek() == '{') {
                        int end = text.indexOf('}', pos);
                        if (end < 0) {
                            throw error("the \\u{...} escape is not closed");
                        }
                        int cp = parseHex(text.substring(pos + 1, end));
                        pos = end + 1;
                        if (!Character.isValidCodePoint(cp)) {
                            throw error("the \\u{...} escape names no valid code point");
                        }
                        sb.appendCodePoint(cp);
                    } else {
                        sb.append((char) hex(4));
                    }
                }
                case '\r' -> {
                    if (peek() == '\n') {
                        pos++;
                    }
                }
                case '\n', '\u2028', '\u2029' -> {
                    // a line continuation adds nothing
                }
                default -> sb.append(c);
            }
        }

        private int hex(int digits) {
            if (pos + digits > text.length()) {
                throw error("the text ends inside a hexadecimal escape");
            }
            int v = parseHex(text.substring(pos, pos + digits));
            pos += digits;
            return v;
        }

        private int parseHex(String digits) {
            try {
                if (digits.isEmpty() || digits.startsWith("+") || digits.startsWith("-")) {
                    throw new NumberFormatException(digits);
                }
                return Integer.parseInt(digits, 16);
            } catch (NumberFormatException e) {
                throw error("'" + digits + "' is not a hexadecimal escape");
            }
        }

        private JsonNode number() {
            int start = pos;
            boolean negative = false;
            char c = peek();
            if (c == '-' || c == '+') {
                negative = c == '-';
                pos++;
            }
            if (text.startsWith("0x", pos) || text.startsWith("0X", pos)) {
                pos += 2;
                int digits = pos;
                while (pos < text.length() && Character.digit(text.charAt(pos), 16) >= 0) {
                    pos++;
                }
                if (pos == digits) {
                    throw error("a hexadecimal number needs digits");
                }
                BigInteger v = new BigInteger(text.substring(digits, pos), 16);
                return integral(negative ? v.negate() : v);
            }
            if (text.startsWith("Infinity", pos)) {
                pos += "Infinity".length();
                return NODES.numberNode(negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
            }
            int mantissa = pos;
            boolean fraction = false;
            boolean exponent = false;
            skipDigits();
            if (peek() == '.') {
                fraction = true;
                pos++;
                skipDigits();
            }
            if (pos == mantissa || (fraction && pos == mantissa + 1)) {
                pos = start;
                throw error("expected a number");
            }
            if (peek() == 'e' || peek() == 'E') {
                exponent = true;
                pos++;
                if (peek() == '+' || peek() == '-') {
                    pos++;
                }
                int digits = pos;
                skipDigits();
                if (pos == digits) {
                    throw error("a number's exponent needs digits");
                }
            }
            String literal = text.substring(start, pos);
            if (!fraction && !exponent) {
                return integral(new BigInteger(literal));
            }
            return NODES.numberNode(new BigDecimal(literal).doubleValue());
        }

        private static JsonNode integral(BigInteger v) {
            if (v.bitLength() < 32) {
                return NODES.numberNode(v.intValue());
            }
            if (v.bitLength() < 64) {
                return NODES.numberNode(v.longValue());
            }
            return NODES.numberNode(v);
        }

        private void skipDigits() {
            while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
                pos++;
            }
        }

        private JsonNode negation() {
            int start = pos;
            pos++;
            skipBlank();
            char c = peek();
            if (c == '0' || c == '1') {
                pos++;
                if (pos < text.length() && (Character.isDigit(text.charAt(pos)) || text.charAt(pos) == '.')) {
                    pos = start;
                    throw error("only !0 and !1 are supported after '!'");
                }
                return NODES.booleanNode(c == '0');
            }
            pos = start;
            throw error("only !0 and !1 are supported after '!'");
        }

        private JsonNode keyword() {
            int start = pos;
            String word = identifier();
            switch (word) {
                case "true":
                    return NODES.booleanNode(true);
                case "false":
                    return NODES.booleanNode(false);
                case "null":
                case "undefined":
                    return NODES.nullNode();
                case "NaN":
                    return NODES.numberNode(Double.NaN);
                case "Infinity":
                    return NODES.numberNode(Double.POSITIVE_INFINITY);
                default:
                    pos = start;
                    throw error("'" + word + "' is an expression, not a literal value");
            }
        }

        private String identifier() {
            int start = pos;
            while (pos < text.length() && isIdentifierPart(text.charAt(pos))) {
                pos++;
            }
            return text.substring(start, pos);
        }

        private static boolean isIdentifierStart(char c) {
            return Character.isLetter(c) || c == '_' || c == '$';
        }

        private static boolean isIdentifierPart(char c) {
            return Character.isLetterOrDigit(c) || c == '_' || c == '$';
        }

        void skipBlank() {
            while (pos < text.length()) {
                char c = text.charAt(pos);
                if (Character.isWhitespace(c) || c == '\u00A0' || c == '\uFEFF') {
                    pos++;
                } else if (text.startsWith("//", pos)) {
                    int end = text.indexOf('\n', pos);
                    pos = end < 0 ? text.length() : end + 1;
                } else if (text.startsWith("/*", pos)) {
                    int end = text.indexOf("*/", pos + 2);
                    if (end < 0) {
                        throw error("a comment is not closed");
                    }
                    pos = end + 2;
                } else {
                    return;
                }
            }
        }

        private char peek() {
            return pos < text.length() ? text.charAt(pos) : '\0';
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            pos++;
        }

        TfjsFormatException error(String problem) {
            int line = 1;
            int lineStart = 0;
            int limit = Math.min(pos, text.length());
            for (int i = 0; i < limit; i++) {
                if (text.charAt(i) == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            String found = pos >= text.length() ? "the end of the text"
                    : "'" + text.substring(pos, Math.min(text.length(), pos + 20)) + "'";
            return new TfjsFormatException("Cannot read the JavaScript literal in " + source + " at line " + line
                    + ", column " + (limit - lineStart + 1) + " (offset " + pos + "): " + problem + ", found " + found + ".");
        }
    }
}
