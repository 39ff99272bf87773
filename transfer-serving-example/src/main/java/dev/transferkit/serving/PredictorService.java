package dev.transferkit.serving;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.transferkit.core.TransferKitException;
import dev.transferkit.image.ImagePaths;
import dev.transferkit.model.Classification;
import dev.transferkit.model.Prediction;
import dev.transferkit.predict.PredictionWriter;
import dev.transferkit.predict.TransferModel;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A service that loads a saved predictor and classifies images, with nothing but transfer-predict and transfer-core
 * (no HDF5, liblinear or Spark): on the command line, or over HTTP with the JDK's {@code com.sun.net.httpserver}.
 *
 * <p>Usage:
 * <pre>
 *   PredictorService [--top K] PREDICTOR.zip IMAGE_OR_FOLDER...   one line per image, as PredictionWriter writes it
 *   PredictorService --serve PORT [--top K] PREDICTOR.zip         HTTP on PORT (0 picks a free one)
 * </pre>
 *
 * <p>Over HTTP, {@code POST /classify} with an image file's bytes as the body (any format the predictor decodes,
 * detected from the content) answers {@code 200} with JSON: {@code {"label": "dog", "score": 0.93,
 * "probabilistic": true, "ranked": [{"label": "dog", "index": 1, "score": 0.93}, ...]}}, the {@code K} best classes
 * ({@code ?top=K} overrides the default); {@code 400} with {@code {"error": "..."}} for a body that is not a decodable
 * image or a bad {@code top}, {@code 405} for other methods and {@code 413} for bodies over 64 MiB. Each upload is
 * classified exactly as {@link TransferModel#predict(Path)} classifies the same file. Requests are handled one at a
 * time.
 */
public final class PredictorService implements AutoCloseable {
    /** The largest image body accepted, in bytes. */
    static final int MAX_BODY_BYTES = 64 << 20;
    private static final String USAGE = "Usage: PredictorService [--top K] PREDICTOR.zip IMAGE_OR_FOLDER...\n"
            + "       PredictorService --serve PORT [--top K] PREDICTOR.zip";

    private final TransferModel model;
    private final int defaultTop;
    private final HttpServer server;

    private PredictorService(TransferModel model, int defaultTop, HttpServer server) {
        this.model = model;
        this.defaultTop = defaultTop;
        this.server = server;
    }

    /**
     * Starts serving a predictor.
     *
     * @param model      the predictor
     * @param address    where to listen; port 0 picks a free port
     * @param defaultTop how many classes an answer lists when the request does not say, at least 1
     * @return the running service; {@link #close()} stops it
     * @throws IOException              when the address cannot be bound
     * @throws IllegalArgumentException when {@code defaultTop} is less than 1
     */
    public static PredictorService start(TransferModel model, InetSocketAddress address, int defaultTop) throws IOException {
        Objects.requireNonNull(model, "model");
        top(defaultTop);
        HttpServer server = HttpServer.create(address, 0);
        PredictorService service = new PredictorService(model, defaultTop, server);
        server.createContext("/classify", service::handle);
        server.start();
        return service;
    }

    /**
     * @return the address of the classification endpoint, e.g. {@code http://127.0.0.1:8080/classify}; {@code localhost}
     *         when listening on every interface
     */
    public URI endpoint() {
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "localhost" : a.getAddress().getHostAddress();
        return URI.create("http://" + host + ":" + a.getPort() + "/classify");
    }

    /** Stops listening; a request being answered is given a second to finish. */
    @Override
    public void close() {
        server.stop(1);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"POST".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().add("Allow", "POST");
                respond(exchange, 405, error("Use POST with an image file's bytes as the body, not "
                        + exchange.getRequestMethod() + "."));
                return;
            }
            int k;
            try {
                k = requestedTop(exchange.getRequestURI().getRawQuery());
            } catch (IllegalArgumentException e) {
                respond(exchange, 400, error(e.getMessage()));
                return;
            }
            byte[] body = readBody(exchange.getRequestBody());
            if (body == null) {
                respond(exchange, 413, error("The image is larger than the " + MAX_BODY_BYTES + " bytes this service accepts."));
                return;
            }
            Path upload = Files.createTempFile("transferkit-upload-", ".img");
            try {
                Files.write(upload, body);
                Classification c = model.predict(upload);
                respond(exchange, 200, json(c, k));
            } catch (TransferKitException e) {
                respond(exchange, 400, error(e.getMessage().replace(upload.toString(), "<upload>")));
            } finally {
                Files.deleteIfExists(upload);
            }
        }
    }

    /** Reads at most {@link #MAX_BODY_BYTES}; returns null when the body is longer. */
    private static byte[] readBody(InputStream in) throws IOException {
        byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        return bytes.length > MAX_BODY_BYTES ? null : bytes;
    }

    private int requestedTop(String query) {
        if (query != null) {
            for (String pair : query.split("&")) {
                if (pair.startsWith("top=")) {
                    String value = pair.substring(4);
                    try {
                        return top(Integer.parseInt(value));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("The parameter top must be a whole number of classes, but was '"
                                + value + "'.", e);
                    }
                }
            }
        }
        return defaultTop;
    }

    private static int top(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("The number of classes to list must be at least 1, but was " + k + ".");
        }
        return k;
    }

    private static void respond(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /**
     * Writes a classification as JSON: the predicted label and score, whether scores are probabilities, and the
     * {@code k} best classes with their indices and scores (as {@link Double#toString}, which reads back exactly).
     *
     * @param c the classification
     * @param k how many classes to list
     * @return the JSON object
     */
    static String json(Classification c, int k) {
        StringBuilder sb = new StringBuilder("{\"label\": ").append(quote(c.label()))
                .append(", \"score\": ").append(c.score())
                .append(", \"probabilistic\": ").append(c.probabilistic())
                .append(", \"ranked\": [");
        List<Prediction> ranked = c.ranked();
        for (int i = 0; i < Math.min(k, ranked.size()); i++) {
            Prediction p = ranked.get(i);
            sb.append(i == 0 ? "" : ", ").append("{\"label\": ").append(quote(p.label()))
                    .append(", \"index\": ").append(p.index())
                    .append(", \"score\": ").append(p.probability()).append('}');
        }
        return sb.append("]}").toString();
    }

    private static String error(String message) {
        return "{\"error\": " + quote(message) + "}";
    }

    /** Quotes a JSON string, escaping quotes, backslashes and control characters. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '"' || ch == '\\') {
                sb.append('\\').append(ch);
            } else if (ch < 0x20) {
                sb.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.append('"').toString();
    }

    /**
     * Runs the command line: classifies the images and prints a line for each, or starts serving.
     *
     * @param args {@code [--top K] PREDICTOR.zip IMAGE_OR_FOLDER...} or {@code --serve PORT [--top K] PREDICTOR.zip}
     * @param out  where the lines (or the address being served) go
     * @return the running service when serving, otherwise null
     * @throws IllegalArgumentException with the usage when the arguments are wrong
     * @throws IOException              when the port cannot be bound
     */
    static PredictorService run(String[] args, PrintStream out) throws IOException {
        Integer port = null;
        int k = 3;
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if ((args[i].equals("--serve") || args[i].equals("--top")) && i + 1 == args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value.\n" + USAGE);
            }
            switch (args[i]) {
                case "--serve" -> port = number(args[++i], "--serve");
                case "--top" -> k = top(number(args[++i], "--top"));
                default -> rest.add(args[i]);
            }
        }
        if (rest.isEmpty() || (port == null) == (rest.size() == 1)) {
            throw new IllegalArgumentException(USAGE);
        }
        TransferModel model = TransferModel.load(Path.of(rest.get(0)));
        if (port != null) {
            PredictorService service = start(model, new InetSocketAddress(port), k);
            out.println("Serving " + rest.get(0) + " (" + model.labels().size() + " classes) at " + service.endpoint()
                    + ": POST an image file's bytes; ?top=K lists K classes.");
            return service;
        }
        List<Path> images = ImagePaths.expand(rest.subList(1, rest.size()).stream().map(Path::of).toList());
        PredictionWriter.builder().setModel(model).optTopK(k).build().write(images, out);
        return null;
    }

    private static int number(String value, String option) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " takes a whole number, but was '" + value + "'.\n" + USAGE, e);
        }
    }

    /**
     * Runs the service from the command line; see the class description.
     *
     * @param args the arguments
     * @throws IOException when the port cannot be bound
     */
    public static void main(String[] args) throws IOException {
        PredictorService service = run(args, System.out);
        if (service != null) {
            Runtime.getRuntime().addShutdownHook(new Thread(service::close));
        }
    }
}
