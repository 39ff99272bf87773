package dev.transferkit.cli;

import dev.transferkit.core.TransferKitException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Properties;

/**
 * The {@code transferkit} command: one entry point whose subcommands mirror the library (classify, extract,
 * train-head, fine-tune, predict, evaluate, inspect). Errors are printed as one line naming the problem, with exit
 * code 1 (2 for a wrong command line); {@code --debug} adds the stack trace.
 */
@Command(name = "transferkit", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Transfer learning on images: classify, extract features into HDF5 stores, train heads, fine-tune, predict.",
        subcommands = {ClassifyCommand.class, ExtractCommand.class, ProbeCommand.class, TrainHeadCommand.class, FineTuneCommand.class,
                PredictCommand.class, EvaluateCommand.class, InspectCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** The exit code of a failed command. */
    static final int FAILED = 1;

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "Print the stack trace of an error.")
    boolean debug;

    @Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Show the libraries' informational log messages on standard error.")
    boolean verbose;

    final PrintStream out;
    final PrintStream err;

    private Main(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /**
     * Runs the command line and exits with its exit code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            String note = interruptNote;
            if (note != null) { // the JVM is stopping (Ctrl-C, SIGTERM) while a long command runs
                System.err.println();
                System.err.println(note);
                System.err.flush();
            }
        }, "transferkit-interrupt-note"));
        int code = execute(System.out, System.err, args);
        interruptNote = null;
        System.exit(code);
    }

    /** What to tell the user when the JVM stops while the current command runs; null when there is nothing to say. */
    private static volatile String interruptNote;

    /**
     * Sets what an interruption of the running command leaves behind and how to continue, printed if the JVM is
     * stopped (Ctrl-C) before the command ends.
     *
     * @param note a full sentence, or null
     */
    static void onInterrupt(String note) {
        interruptNote = note;
    }

    /**
     * Runs a command line without exiting.
     *
     * @param out  where results go
     * @param err  where errors and progress go
     * @param args the command line
     * @return the exit code: 0 on success, 1 when the command failed, 2 for a wrong command line
     */
    public static int execute(PrintStream out, PrintStream err, String... args) {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            // before any logger exists; --verbose is looked for here because loggers are made while parsing
            boolean verbose = List.of(args).contains("-v") || List.of(args).contains("--verbose");
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
        }
        Main main = new Main(out, err);
        CommandLine cl = new CommandLine(main);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            err.println(commandLine.getCommandName() + ": " + message(e));
            if (main.debug) {
                e.printStackTrace(err);
            }
            err.flush();
            return FAILED;
        });
        try {
            return cl.execute(args);
        } finally {
            interruptNote = null;
        }
    }

    /** @return a one-line description of an error: our messages are full sentences, others get their type */
    static String message(Throwable e) {
        String m = e.getMessage();
        boolean ours = e instanceof TransferKitException || e instanceof IllegalArgumentException
                || e instanceof IllegalStateException || e instanceof UncheckedIOException;
        String text = ours && m != null && !m.isBlank() ? m : e.toString();
        if (!ours) {
            text += " (run again with --debug for the stack trace)";
        }
        return text.replace('\n', ' ');
    }

    @Override
    public void run() {
        new CommandLine(this).usage(out);
    }

    /** Reads the version Maven wrote into {@code version.properties}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[]{"transferkit " + p.getProperty("version", "(unknown version)")};
        }
    }
}
