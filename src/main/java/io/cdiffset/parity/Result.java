package io.cdiffset.parity;

/** One compared output: max absolute error against the reference and the tolerance it must stay within. */
public record Result(String name, double error, double tolerance, boolean pass, String detail) {
    public static Result abs(String name, double error, double tol) {
        return new Result(name, error, tol, error <= tol && !Double.isNaN(error), "max|Δ|");
    }

    public static Result rel(String name, double error, double tol) {
        return new Result(name, error, tol, error <= tol && !Double.isNaN(error), "rel");
    }

    public static Result exact(String name, boolean equal, String detail) {
        return new Result(name, equal ? 0 : 1, 0, equal, detail);
    }

    public String line() {
        return String.format("%-4s %-58s %-8s %.3e  (tol %.1e)", pass ? "PASS" : "FAIL", name, detail, error, tolerance);
    }
}
