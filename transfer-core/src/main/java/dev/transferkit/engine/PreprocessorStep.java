package dev.transferkit.engine;

import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Runs a DL4J input preprocessor (a reshape or permutation such as {@code ReshapePreprocessor}) on activations in
 * DL4J's layout, with DL4J's own code. The result is copied, so it never shares memory with a reused buffer.
 */
final class PreprocessorStep implements Step {
    private final InputPreProcessor preprocessor;

    PreprocessorStep(InputPreProcessor preprocessor) {
        this.preprocessor = preprocessor;
    }

    @Override
    public INDArray run(INDArray[] inputs, BufferPool pool, boolean overwrite) {
        INDArray x = inputs[0];
        return preprocessor.preProcess(x, (int) x.size(0), LayerWorkspaceMgr.noWorkspaces()).dup('c');
    }

    @Override
    public String describe() {
        return "DL4J preprocessor " + preprocessor.getClass().getSimpleName();
    }
}
