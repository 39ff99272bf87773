package dev.transferkit.onnx;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

import static dev.transferkit.onnx.TinyOnnx.in;
import static dev.transferkit.onnx.TinyOnnx.ints;

class ScratchTest {
    @Test
    void scratch() throws Exception {
        TinyOnnx m = new TinyOnnx(13, "x", 4, 6, 6);
        String conv = m.node("Conv", "conv", in("x", m.random("w", 0.5f, 8, 4, 3, 3), m.random("b", 0.3f, 8)),
                ints("pads", 1, 1, 1, 1));
        String sig = m.node("Sigmoid", "sig", in(conv));
        var model = m.output(sig).output(conv).build();
        ComputationGraph net = OnnxGraphImporter.importGraph(model, 4, 6, 6);
        INDArray input = Nd4j.randn(DataType.FLOAT, 2, 4, 6, 6);
        Map<String, INDArray> ff = net.feedForward(input, false);
        INDArray[] outs = net.output(input);
        var ort = OrtReference.run(model, input, List.of("conv", "sig"));
        INDArray d = outs[1];
        INDArray o = ort.get("conv");
        System.out.println("dl4j shape " + java.util.Arrays.toString(d.shape()) + " stride " + java.util.Arrays.toString(d.stride()) + " order " + d.ordering() + " view " + d.isView() + " offset " + d.offset());
        System.out.println("ort shape " + java.util.Arrays.toString(o.shape()) + " stride " + java.util.Arrays.toString(o.stride()) + " order " + o.ordering());
        for (int c = 0; c < 3; c++) System.out.println(d.getFloat(1, c, 2, 3) + " vs " + o.getFloat(1, c, 2, 3) + " dup " + d.dup('c').getFloat(1, c, 2, 3));
        System.out.println("dupc diff " + o.sub(d.dup('c')).amaxNumber());
    }
}
