package dev.transferkit.head;

/**
 * The L2-regularised logistic loss of scikit-learn's {@code LogisticRegression(solver="lbfgs")}:
 * {@code sum_i s_i loss(x_i W + b, y_i) + ||W||^2 / (2 C)}, with per-row weights {@code s_i} (class weights), the
 * intercepts {@code b} not penalised. With one linear score per row ({@code r = 1}) the loss is the binary
 * logistic loss of targets 0 and 1; with {@code r} scores it is the multinomial (softmax) loss of targets
 * {@code 0..r-1}. Evaluating along a line reuses the scores of both ends, so line searches cost no data pass.
 */
final class LogisticObjective implements Lbfgs.Objective<Coefficients, LogisticObjective.State> {
    private final Design design;
    private final int[] target;
    private final double[] weight;
    private final int r;
    private final double c;

    /**
     * @param design the training rows
     * @param target per training row: 0 or 1 when {@code r == 1}, else the class index
     * @param weight per training row, positive
     * @param r      linear scores per row: 1 (binary) or the number of classes (multinomial)
     * @param c      the inverse regularisation strength
     */
    LogisticObjective(Design design, int[] target, double[] weight, int r, double c) {
        this.design = design;
        this.target = target;
        this.weight = weight;
        this.r = r;
        this.c = c;
    }

    /**
     * A point with its value and gradient.
     *
     * @param x        the position
     * @param value    the loss
     * @param gradient its gradient
     */
    record State(Coefficients x, double value, Coefficients gradient) implements Lbfgs.Point<Coefficients> {
    }

    /** @return the design this loss is over */
    Design design() {
        return design;
    }

    /**
     * Evaluates a point.
     *
     * @param x the position
     * @return its value and gradient
     */
    State at(Coefficients x) {
        return state(x, scores(x), design.dot(x, x));
    }

    /** @return the origin, evaluated */
    State origin() {
        return at(Coefficients.zero(design.coefficientRows(), design.rows(), r));
    }

    @Override
    public double dot(Coefficients a, Coefficients b) {
        return design.dot(a, b) + Coefficients.dot(a.intercepts, b.intercepts);
    }

    @Override
    public Coefficients scaled(double a, Coefficients x) {
        return Coefficients.scale(a, x);
    }

    @Override
    public void addScaled(double a, Coefficients x, Coefficients y) {
        Coefficients.addScaled(a, x, y);
    }

    @Override
    public void scale(double a, Coefficients x) {
        Coefficients.scaleInPlace(a, x);
    }

    @Override
    public Lbfgs.Line<State> line(State from, Coefficients d) {
        double[] z0 = scores(from.x());
        double[] zd = scores(d);
        double ww = design.dot(from.x(), from.x());
        double wd = design.dot(from.x(), d);
        double dd = design.dot(d, d);
        return new Lbfgs.Line<>() {
            private double lastT = Double.NaN;
            private double[] lastZ;
            private double[] lastG;
            private double lastLoss;

            @Override
            public Lbfgs.Sample sample(double t) {
                evaluate(t);
                double slope = Coefficients.dot(lastG, zd) + (wd + t * dd) / c;
                return new Lbfgs.Sample(lastLoss + (ww + t * (2 * wd + t * dd)) / (2 * c), slope);
            }

            @Override
            public State point(double t) {
                evaluate(t);
                return state(Coefficients.axpy(t, d, from.x()), lastLoss, lastG, ww + t * (2 * wd + t * dd));
            }

            /** Scores, loss and residuals at {@code t}, kept for the next call (the accepted step was sampled last). */
            private void evaluate(double t) {
                if (t != lastT) {
                    lastZ = along(z0, zd, t);
                    lastG = new double[lastZ.length];
                    lastLoss = loss(lastZ, lastG);
                    lastT = t;
                }
            }
        };
    }

    /** Value and gradient at {@code x}, whose scores and squared weight norm are given. */
    private State state(Coefficients x, double[] z, double ww) {
        double[] g = new double[z.length];
        return state(x, loss(z, g), g, ww);
    }

    /** Value and gradient at {@code x}, whose loss, residuals and squared weight norm are given. */
    private State state(Coefficients x, double loss, double[] g, double ww) {
        Coefficients data = design.transposeTimes(g, r);
        double[] interceptGradient = new double[r];
        for (int i = 0; i < g.length; i++) {
            interceptGradient[i % r] += g[i];
        }
        Coefficients gradient = new Coefficients(Coefficients.axpy(1 / c, x.weights, data.weights),
                Coefficients.axpy(1 / c, x.image, data.image), interceptGradient);
        return new State(x, loss + ww / (2 * c), gradient);
    }

    /** @return the linear scores {@code x.image + x.intercepts} of the training rows */
    private double[] scores(Coefficients x) {
        double[] z = new double[x.image.length];
        for (int i = 0; i < z.length; i++) {
            z[i] = x.image[i] + x.intercepts[i % r];
        }
        return z;
    }

    /** @return {@code z0 + t zd} */
    private static double[] along(double[] z0, double[] zd, double t) {
        double[] z = new double[z0.length];
        for (int i = 0; i < z.length; i++) {
            z[i] = z0[i] + t * zd[i];
        }
        return z;
    }

    /**
     * The weighted loss at scores {@code z}, writing the residuals {@code s_i (p_i - y_i)} (the loss's gradient in
     * the scores) into {@code g}.
     */
    private double loss(double[] z, double[] g) {
        double total = 0;
        int n = target.length;
        if (r == 1) {
            for (int i = 0; i < n; i++) {
                double zi = z[i];
                // log(1 + e^z) - y z, and sigmoid(z), without overflow. Math.log is a compiler intrinsic and log1p is
                // not; for e below 1e-16, log(1 + e) loses e, which no sum of losses can see.
                double e = Math.exp(-Math.abs(zi));
                double softplus = Math.max(zi, 0) + Math.log(1 + e);
                double p = zi >= 0 ? 1 / (1 + e) : e / (1 + e);
                total += weight[i] * (softplus - target[i] * zi);
                g[i] = weight[i] * (p - target[i]);
            }
            return total;
        }
        for (int i = 0; i < n; i++) {
            int o = i * r;
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < r; k++) {
                max = Math.max(max, z[o + k]);
            }
            double sum = 0;
            for (int k = 0; k < r; k++) {
                sum += Math.exp(z[o + k] - max);
            }
            double logSum = max + Math.log(sum);
            total += weight[i] * (logSum - z[o + target[i]]);
            for (int k = 0; k < r; k++) {
                g[o + k] = weight[i] * (Math.exp(z[o + k] - logSum) - (k == target[i] ? 1 : 0));
            }
        }
        return total;
    }
}
