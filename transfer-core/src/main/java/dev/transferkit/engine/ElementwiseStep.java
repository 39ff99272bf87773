package dev.transferkit.engine;

import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** DL4J's {@code ElementWiseVertex}: sum, difference, product, average or maximum of same-shaped inputs. */
final class ElementwiseStep implements Step {
    private final ElementWiseVertex.Op op;

    ElementwiseStep(ElementWiseVertex.Op op) {
        this.op = op;
    }

    /** @return whether the engine implements the operation */
    static boolean supports(ElementWiseVertex.Op op) {
        return op == ElementWiseVertex.Op.Add || op == ElementWiseVertex.Op.Subtract || op == ElementWiseVertex.Op.Product
                || op == ElementWiseVertex.Op.Average || op == ElementWiseVertex.Op.Max;
    }

    @Override
    public INDArray run(INDArray[] inputs, BufferPool pool, boolean overwrite) {
        INDArray out = inputs[0];
        if (!overwrite) {
            out = pool.take(inputs[0].shape());
            out.assign(inputs[0]);
        }
        for (int i = 1; i < inputs.length; i++) {
            switch (op) {
                case Add, Average -> out.addi(inputs[i]);
                case Subtract -> out.subi(inputs[i]);
                case Product -> out.muli(inputs[i]);
                case Max -> Transforms.max(out, inputs[i], false);
                default -> throw new IllegalStateException("unsupported element-wise operation " + op);
            }
        }
        if (op == ElementWiseVertex.Op.Average) {
            out.divi(inputs.length);
        }
        return out;
    }

    @Override
    public boolean canRunInPlace() {
        return true;
    }

    @Override
    public String describe() {
        return "elementwise " + op;
    }
}
