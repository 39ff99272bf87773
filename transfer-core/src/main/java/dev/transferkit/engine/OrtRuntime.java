package dev.transferkit.engine;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's ONNX Runtime environment, loaded once. Where ONNX Runtime's native library cannot load (an operating
 * system or CPU its jar has no binary for), this is said once, naming the platform, and {@link #environment()} throws
 * an {@link EngineException} so that callers run the network through DL4J instead.
 */
final class OrtRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(OrtRuntime.class);
    private static OrtEnvironment environment;
    private static String failure;

    private OrtRuntime() {
    }

    /**
     * Returns the environment, loading ONNX Runtime on first use.
     *
     * @return the environment
     * @throws EngineException when ONNX Runtime cannot load on this platform
     */
    static synchronized OrtEnvironment environment() {
        if (environment != null) {
            return environment;
        }
        if (failure == null) {
            try {
                environment = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "transferkit");
                return environment;
            } catch (Throwable e) { // UnsatisfiedLinkError, IllegalStateException ... from the native loader
                failure = "ONNX Runtime's native library cannot load on " + platform() + " (" + e + ")";
                LOG.warn("{}; frozen forward passes run through DL4J's slower layers instead.", failure);
            }
        }
        throw new EngineException(failure + ".");
    }

    /** @return whether ONNX Runtime loads on this platform (loading it if it has not been tried) */
    static boolean available() {
        try {
            environment();
            return true;
        } catch (EngineException e) {
            return false;
        }
    }

    /** @return the operating system, architecture and Java version */
    static String platform() {
        return System.getProperty("os.name") + " " + System.getProperty("os.arch") + " (Java "
                + System.getProperty("java.version") + ")";
    }

    /**
     * Creates a session for a serialised model.
     *
     * @param model   the ONNX model
     * @param options threads, optimisation, arena and device
     * @return the session
     * @throws EngineException when ONNX Runtime refuses the model or the options
     */
    static OrtSession session(byte[] model, EngineOptions options) {
        return session(options, (env, so) -> env.createSession(model, so));
    }

    /**
     * Creates a session for a model file, which ONNX Runtime reads itself (nothing of it passes through the Java heap).
     *
     * @param model   the ONNX file
     * @param options threads, optimisation, arena and device
     * @return the session
     * @throws EngineException when ONNX Runtime refuses the model or the options
     */
    static OrtSession session(java.nio.file.Path model, EngineOptions options) {
        return session(options, (env, so) -> env.createSession(model.toString(), so));
    }

    /** Opens a session the way {@code open} says, with the session options made from {@code options}. */
    private interface Opener {
        OrtSession open(OrtEnvironment env, OrtSession.SessionOptions so) throws OrtException;
    }

    private static OrtSession session(EngineOptions options, Opener opener) {
        OrtEnvironment env = environment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            if (options.threads() > 0) {
                so.setIntraOpNumThreads(options.threads());
            }
            so.setInterOpNumThreads(1);
            so.addConfigEntry("session.intra_op.allow_spinning", options.spinWait() ? "1" : "0");
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            so.setOptimizationLevel(switch (options.optimization()) {
                case NONE -> OrtSession.SessionOptions.OptLevel.NO_OPT;
                case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
                case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
                case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
            });
            so.setCPUArenaAllocator(options.arena());
            so.setMemoryPatternOptimization(options.arena());
            if (options.cudaDevice() >= 0) {
                try {
                    so.addCUDA(options.cudaDevice());
                } catch (OrtException e) {
                    throw new EngineException("ONNX Runtime cannot use CUDA device " + options.cudaDevice() + ": "
                            + e.getMessage() + ". The CUDA execution provider needs the onnxruntime_gpu build (Maven "
                            + "profile 'cuda') and an NVIDIA driver.", e);
                }
            }
            return opener.open(env, so);
        } catch (OrtException e) {
            throw new EngineException("ONNX Runtime refused the exported network: " + e.getMessage(), e);
        }
    }
}
