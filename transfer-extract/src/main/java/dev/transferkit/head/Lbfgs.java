package dev.transferkit.head;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Locale;

/**
 * Limited-memory BFGS (Nocedal and Wright, Numerical Optimization, algorithms 7.4 and 7.5) with a strong-Wolfe line
 * search, over any vector space with an inner product. It stops, as scipy's L-BFGS-B does for scikit-learn, when
 * the gradient is small, when an iteration lowers the function by a negligible fraction, or after a number of
 * iterations; the gradient test uses the Euclidean norm (scipy uses the largest component, a weaker test).
 */
final class Lbfgs {
    /** scipy's default {@code ftol}: an iteration that lowers f by less than this fraction of |f| ends the search. */
    static final double RELATIVE_DECREASE = 2.220446049250313e-09;
    private static final int MEMORY = 10;

    /**
     * A vector space with an inner product. The minimiser changes only vectors it made with {@link #copy}.
     *
     * @param <V> the vectors
     */
    interface Space<V> {
        /** @return the inner product of {@code a} and {@code b} */
        double dot(V a, V b);

        /** @return {@code a * x}, a new vector */
        V scaled(double a, V x);

        /** Adds {@code a * x} to {@code y}, in place. */
        void addScaled(double a, V x, V y);

        /** Multiplies {@code x} by {@code a}, in place. */
        void scale(double a, V x);
    }

    /**
     * A point with its function value and gradient.
     *
     * @param <V> the vectors
     */
    interface Point<V> {
        /** @return the position */
        V x();

        /** @return the function value */
        double value();

        /** @return the gradient */
        V gradient();
    }

    /**
     * The function restricted to the ray {@code x + t d}, {@code t >= 0}.
     *
     * @param <P> the points
     */
    interface Line<P> {
        /** @return {@code f(x + t d)} and its derivative in {@code t} */
        Sample sample(double t);

        /** @return the point {@code x + t d}, with value and gradient */
        P point(double t);
    }

    /**
     * A value and slope along a line.
     *
     * @param value the function value
     * @param slope its derivative along the line
     */
    record Sample(double value, double slope) {
    }

    /**
     * A smooth function to minimise.
     *
     * @param <V> the vectors
     * @param <P> its points
     */
    interface Objective<V, P extends Point<V>> extends Space<V> {
        /** @return the function along {@code from + t direction} */
        Line<P> line(P from, V direction);
    }

    /**
     * The outcome of a minimisation.
     *
     * @param point      the last point
     * @param iterations iterations done
     * @param converged  whether a convergence test (rather than the iteration limit or a failed line search) ended it
     * @param stop       why it stopped, in words
     * @param <P>        the points
     */
    record Result<P>(P point, int iterations, boolean converged, String stop) {
    }

    private final int maxIterations;
    private final double tolerance;

    /**
     * @param maxIterations the most iterations
     * @param tolerance     stop when the gradient's Euclidean norm is at most this
     */
    Lbfgs(int maxIterations, double tolerance) {
        this.maxIterations = maxIterations;
        this.tolerance = tolerance;
    }

    private record Pair<V>(V s, V y, double rho) {
    }

    /**
     * Minimises from a starting point.
     *
     * @param f     the function
     * @param start the starting point, evaluated
     * @param <V>   the vectors
     * @param <P>   the points
     * @return the last point and why the search stopped
     */
    <V, P extends Point<V>> Result<P> minimize(Objective<V, P> f, P start) {
        P x = start;
        double norm = Math.sqrt(f.dot(x.gradient(), x.gradient()));
        if (norm <= tolerance) {
            return new Result<>(x, 0, true, gradientStop(norm));
        }
        Deque<Pair<V>> pairs = new ArrayDeque<>();
        for (int iteration = 1; iteration <= maxIterations; iteration++) {
            V d = pairs.isEmpty() ? f.scaled(-1, x.gradient()) : direction(f, x.gradient(), pairs);
            double slope = f.dot(x.gradient(), d);
            if (!(slope < 0)) {
                pairs.clear();
                d = f.scaled(-1, x.gradient());
                slope = -norm * norm;
            }
            // The first step of steepest descent has length one, as in L-BFGS-B; quasi-Newton steps start at 1.
            double first = pairs.isEmpty() ? 1 / Math.sqrt(f.dot(d, d)) : 1;
            Line<P> line = f.line(x, d);
            double t = WolfeLineSearch.search(line, x.value(), slope, first);
            if (Double.isNaN(t)) {
                if (!pairs.isEmpty()) {
                    pairs.clear();
                    continue;
                }
                return new Result<>(x, iteration - 1, false, "the line search found no lower point");
            }
            P next = line.point(t);
            V s = d;
            f.scale(t, s);
            V y = f.scaled(1, next.gradient());
            f.addScaled(-1, x.gradient(), y);
            double sy = f.dot(s, y);
            if (sy > 1e-10 * f.dot(y, y)) {
                if (pairs.size() == MEMORY) {
                    pairs.removeFirst();
                }
                pairs.addLast(new Pair<>(s, y, 1 / sy));
            }
            double before = x.value();
            x = next;
            norm = Math.sqrt(f.dot(x.gradient(), x.gradient()));
            if (norm <= tolerance) {
                return new Result<>(x, iteration, true, gradientStop(norm));
            }
            if (before - x.value() <= RELATIVE_DECREASE * Math.max(1, Math.max(Math.abs(before), Math.abs(x.value())))) {
                return new Result<>(x, iteration, true, "the last iteration lowered the loss by a relative "
                        + String.format(Locale.ROOT, "%.2g", (before - x.value()) / Math.max(1, Math.abs(before))));
            }
        }
        return new Result<>(x, maxIterations, false, String.format(Locale.ROOT,
                "stopped after %d iterations with gradient norm %.3g > %.3g", maxIterations, norm, tolerance));
    }

    private String gradientStop(double norm) {
        return String.format(Locale.ROOT, "gradient norm %.3g <= %.3g", norm, tolerance);
    }

    /**
     * The two-loop recursion: {@code -H g} for the inverse Hessian approximation the stored pairs define, computed
     * in one new vector.
     */
    private static <V> V direction(Space<V> f, V gradient, Deque<Pair<V>> pairs) {
        double[] alpha = new double[pairs.size()];
        V r = f.scaled(-1, gradient);
        int i = pairs.size();
        for (Iterator<Pair<V>> it = pairs.descendingIterator(); it.hasNext(); ) {
            Pair<V> p = it.next();
            alpha[--i] = p.rho() * f.dot(p.s(), r);
            f.addScaled(-alpha[i], p.y(), r);
        }
        Pair<V> last = pairs.getLast();
        f.scale(f.dot(last.s(), last.y()) / f.dot(last.y(), last.y()), r);
        i = 0;
        for (Pair<V> p : pairs) {
            double beta = p.rho() * f.dot(p.y(), r);
            f.addScaled(alpha[i++] - beta, p.s(), r);
        }
        return r;
    }
}
