package dev.transferkit.head;

/**
 * A line search for a step satisfying the strong Wolfe conditions (sufficient decrease {@code c1 = 1e-4}, curvature
 * {@code c2 = 0.9}): bracketing by doubling, then zooming with safeguarded cubic interpolation (Nocedal and Wright,
 * Numerical Optimization, algorithms 3.5 and 3.6).
 */
final class WolfeLineSearch {
    private static final double C1 = 1e-4;
    private static final double C2 = 0.9;
    private static final int MAX_SAMPLES = 40;

    private WolfeLineSearch() {
    }

    /**
     * Searches along a line.
     *
     * @param line  the function along the line
     * @param f0    its value at 0
     * @param g0    its slope at 0, negative
     * @param first the first step to try, positive
     * @return a step satisfying the strong Wolfe conditions, or a step with sufficient decrease when the search ran
     *         out of samples, or NaN when none was found
     */
    static double search(Lbfgs.Line<?> line, double f0, double g0, double first) {
        double prevT = 0;
        double prevF = f0;
        double prevG = g0;
        double t = first;
        for (int i = 0; i < MAX_SAMPLES; i++) {
            Lbfgs.Sample s = line.sample(t);
            if (!(s.value() <= f0 + C1 * t * g0) || (i > 0 && s.value() >= prevF)) {
                return zoom(line, f0, g0, prevT, prevF, prevG, t, s.value(), s.slope(), MAX_SAMPLES - i - 1);
            }
            if (Math.abs(s.slope()) <= -C2 * g0) {
                return t;
            }
            if (s.slope() >= 0) {
                return zoom(line, f0, g0, t, s.value(), s.slope(), prevT, prevF, prevG, MAX_SAMPLES - i - 1);
            }
            prevT = t;
            prevF = s.value();
            prevG = s.slope();
            t *= 2;
        }
        return prevT > 0 ? prevT : Double.NaN;
    }

    /**
     * Narrows an interval known to hold an acceptable step. {@code lo} always has sufficient decrease and the
     * lowest value seen; the slope at {@code lo} points towards {@code hi}.
     */
    private static double zoom(Lbfgs.Line<?> line, double f0, double g0, double lo, double fLo, double gLo,
                               double hi, double fHi, double gHi, int samples) {
        for (int i = 0; i < samples; i++) {
            double width = hi - lo;
            if (Math.abs(width) <= 1e-14 * Math.max(1, Math.abs(lo))) {
                break;
            }
            double t = cubicMinimum(lo, fLo, gLo, hi, fHi, gHi);
            double low = Math.min(lo, hi) + 0.1 * Math.abs(width);
            double high = Math.max(lo, hi) - 0.1 * Math.abs(width);
            if (!(t >= low && t <= high)) {
                t = lo + width / 2;
            }
            Lbfgs.Sample s = line.sample(t);
            if (!(s.value() <= f0 + C1 * t * g0) || s.value() >= fLo) {
                hi = t;
                fHi = s.value();
                gHi = s.slope();
            } else {
                if (Math.abs(s.slope()) <= -C2 * g0) {
                    return t;
                }
                if (s.slope() * (hi - lo) >= 0) {
                    hi = lo;
                    fHi = fLo;
                    gHi = gLo;
                }
                lo = t;
                fLo = s.value();
                gLo = s.slope();
            }
        }
        return lo > 0 ? lo : Double.NaN;
    }

    /** The minimiser of the cubic through two points with their slopes, or NaN when it has none. */
    static double cubicMinimum(double a, double fa, double ga, double b, double fb, double gb) {
        if (!Double.isFinite(fb) || !Double.isFinite(gb)) {
            return Double.NaN;
        }
        double d1 = ga + gb - 3 * (fa - fb) / (a - b);
        double square = d1 * d1 - ga * gb;
        if (!(square >= 0)) {
            return Double.NaN;
        }
        double d2 = Math.signum(b - a) * Math.sqrt(square);
        return b - (b - a) * (gb + d2 - d1) / (gb - ga + 2 * d2);
    }
}
