package dev.transferkit.engine;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

/**
 * Runs one vertex through DL4J's own implementation ({@code GraphVertex.doForward} at inference, which applies the
 * vertex's preprocessor and layer), for vertices that cannot be exported to ONNX. Inputs arrive in DL4J's layout; the
 * result is copied and stored as float, like every value between stages.
 */
final class FallbackStep {
    private final ComputationGraph graph;
    private final String vertex;
    private final List<String> inputs;
    private final DataType dataType;

    /**
     * @param graph  the network that owns the vertex (used as the lock, as DL4J vertices keep state)
     * @param vertex the vertex name
     * @param inputs the vertices it reads
     */
    FallbackStep(ComputationGraph graph, String vertex, List<String> inputs) {
        this.graph = graph;
        this.vertex = vertex;
        this.inputs = List.copyOf(inputs);
        this.dataType = graph.getConfiguration().getDataType();
    }

    /**
     * Runs the vertex.
     *
     * @param values float activations by vertex; the result is added to it
     */
    void run(Map<String, INDArray> values) {
        synchronized (graph) {
            GraphVertex v = graph.getVertex(vertex);
            LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
            try {
                for (int i = 0; i < inputs.size(); i++) {
                    INDArray x = values.get(inputs.get(i));
                    v.setInput(i, x.dataType() == dataType ? x.dup() : x.castTo(dataType), mgr);
                }
                INDArray y = v.doForward(false, mgr);
                values.put(vertex, y.castTo(DataType.FLOAT).dup('c'));
            } catch (RuntimeException e) {
                throw new EngineException("DL4J failed at vertex '" + vertex + "': " + e.getMessage(), e);
            } finally {
                v.clear();
            }
        }
    }
}
