package dev.transferkit.engine;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Runs one vertex through DL4J's own implementation ({@code GraphVertex.doForward} at inference, which applies the
 * vertex's preprocessor and layer), for vertices the engine does not compile. Inputs arrive in DL4J's layout. The
 * result is copied, so it never shares memory with an input the engine reuses.
 */
final class FallbackStep implements Step {
    private final ComputationGraph graph;
    private final String vertex;
    private final String reason;

    /**
     * @param graph  the network that owns the vertex (used as the lock, as DL4J vertices keep state)
     * @param vertex the vertex name
     * @param reason why it is not compiled
     */
    FallbackStep(ComputationGraph graph, String vertex, String reason) {
        this.graph = graph;
        this.vertex = vertex;
        this.reason = reason;
    }

    @Override
    public INDArray run(INDArray[] inputs, BufferPool pool, boolean overwrite) {
        synchronized (graph) {
            GraphVertex v = graph.getVertex(vertex);
            LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
            try {
                for (int i = 0; i < inputs.length; i++) {
                    v.setInput(i, inputs[i], mgr);
                }
                return v.doForward(false, mgr).dup('c');
            } finally {
                v.clear();
            }
        }
    }

    @Override
    public String describe() {
        return "DL4J " + vertex + " (" + reason + ")";
    }
}
