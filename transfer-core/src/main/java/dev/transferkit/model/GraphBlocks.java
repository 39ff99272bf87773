package dev.transferkit.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the block outputs of a network: the vertices where one block ends and the next begins, so that cutting there
 * keeps a whole number of blocks, as a Keras user cuts at {@code mixed7} or {@code block_12_add}.
 *
 * <p>A block output is a vertex that every path from the input to the output goes through (nothing bypasses it, as a
 * residual connection bypasses the layers inside a block) and that either merges branches (an addition ending a
 * residual block, a concatenation ending an Inception module) or feeds several (the input of the next residual block or
 * Inception module). Plain chains of layers (a stem, or a network without branches) have no block outputs.
 */
public final class GraphBlocks {
    private GraphBlocks() {
    }

    /**
     * Lists a network's block outputs.
     *
     * @param graph the network
     * @return the block outputs' vertex names, in graph order; empty for a network without branches
     */
    public static List<String> outputs(ComputationGraph graph) {
        ComputationGraphConfiguration conf = graph.getConfiguration();
        List<String> order = conf.getTopologicalOrderStr();
        Map<String, Integer> position = new HashMap<>();
        for (int i = 0; i < order.size(); i++) {
            position.put(order.get(i), i);
        }
        int[] lastConsumer = new int[order.size()];
        int[] consumers = new int[order.size()];
        for (int i = 0; i < order.size(); i++) {
            lastConsumer[i] = i;
        }
        conf.getVertexInputs().forEach((vertex, inputs) -> {
            int to = position.get(vertex);
            for (String input : inputs) {
                int from = position.get(input);
                lastConsumer[from] = Math.max(lastConsumer[from], to);
                consumers[from]++;
            }
        });
        Map<String, GraphVertex> vertices = conf.getVertices();
        List<String> out = new ArrayList<>();
        int reach = 0; // the furthest vertex any earlier vertex feeds
        for (int i = 0; i < order.size(); i++) {
            String name = order.get(i);
            boolean bypassed = reach > i;
            GraphVertex v = vertices.get(name);
            boolean merges = v instanceof MergeVertex || v instanceof ElementWiseVertex;
            if (!bypassed && !conf.getNetworkInputs().contains(name) && !conf.getNetworkOutputs().contains(name)
                    && (merges || consumers[i] > 1)) {
                out.add(name);
            }
            reach = Math.max(reach, lastConsumer[i]);
        }
        return List.copyOf(out);
    }
}
