using static Dsl.Math;

// The op-conformance models: for each elementwise operation of the op table, the same function on the three kinds of operand the
// generator spells differently: a batched input x (OnX: E = Σ f(x), so score −f'(x) and divergence −Σ f''(x), per sample), a
// parameter (OnParam: E = f(W)·x, so the score is −f(W) elementwise, computed once per call) and a host double (OnHost: E =
// f(Len(W)·H)·(W·x), the function of a hyperparameter computed in C#, so the score is −f(|W|·H)·W). Non-differentiable functions
// have no OnX model (their score would need f', DSL0008). Compiled by the real generator at build time; see OpConformanceTests.
namespace Dsl.Models.Tests.OpConformance
{
    [EnergyModel]
    public partial class NegOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(-x) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class NegOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(-W, x);
    }

    [EnergyModel]
    public partial class NegOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (-(Len(W) * H)) * Dot(W, x);
    }

    [EnergyModel]
    public partial class ExpOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Exp(x)) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class ExpOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Exp(W), x);
    }

    [EnergyModel]
    public partial class ExpOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Exp((Len(W) * H))) * Dot(W, x);
    }

    [EnergyModel]
    public partial class LogOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Log(x)) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class LogOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Log(W), x);
    }

    [EnergyModel]
    public partial class LogOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Log((Len(W) * H))) * Dot(W, x);
    }

    [EnergyModel]
    public partial class SqrtOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Sqrt(x)) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class SqrtOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Sqrt(W), x);
    }

    [EnergyModel]
    public partial class SqrtOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Sqrt((Len(W) * H))) * Dot(W, x);
    }

    [EnergyModel]
    public partial class SquareOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Square(x)) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class SquareOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Square(W), x);
    }

    [EnergyModel]
    public partial class SquareOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Square((Len(W) * H))) * Dot(W, x);
    }

    [EnergyModel]
    public partial class PowOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Pow(x, 2.5)) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class PowOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Pow(W, 2.5), x);
    }

    [EnergyModel]
    public partial class PowOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Pow((Len(W) * H), 2.5)) * Dot(W, x);
    }

    [EnergyModel]
    public partial class TanhOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Tanh(x)) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class TanhOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Tanh(W), x);
    }

    [EnergyModel]
    public partial class TanhOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Tanh((Len(W) * H))) * Dot(W, x);
    }

    [EnergyModel]
    public partial class SigmoidOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Sigmoid(x)) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class SigmoidOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Sigmoid(W), x);
    }

    [EnergyModel]
    public partial class SigmoidOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Sigmoid((Len(W) * H))) * Dot(W, x);
    }

    [EnergyModel]
    public partial class SoftplusOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Softplus(x)) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class SoftplusOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Softplus(W), x);
    }

    [EnergyModel]
    public partial class SoftplusOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Softplus((Len(W) * H))) * Dot(W, x);
    }

    [EnergyModel]
    public partial class RecipOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(1.0 / x) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class RecipOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(1.0 / W, x);
    }

    [EnergyModel]
    public partial class RecipOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (1.0 / (Len(W) * H)) * Dot(W, x);
    }

    [EnergyModel, Subgradient]
    public partial class AbsOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Abs(x)) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class AbsOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Abs(W), x);
    }

    [EnergyModel]
    public partial class AbsOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Abs((Len(W) * H))) * Dot(W, x);
    }

    [EnergyModel]
    public partial class SignOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Sign(W), x);
    }

    [EnergyModel]
    public partial class SignOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Sign((Len(W) * H))) * Dot(W, x);
    }

    [EnergyModel]
    public partial class FloorOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Floor(W), x);
    }

    [EnergyModel]
    public partial class FloorOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Floor((Len(W) * H))) * Dot(W, x);
    }

    [EnergyModel]
    public partial class RoundOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Round(W), x);
    }

    [EnergyModel]
    public partial class RoundOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Round((Len(W) * H))) * Dot(W, x);
    }

    [EnergyModel]
    public partial class SinOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Sin(x)) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class SinOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Sin(W), x);
    }

    [EnergyModel]
    public partial class SinOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Sin((Len(W) * H))) * Dot(W, x);
    }

    [EnergyModel]
    public partial class CosOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Cos(x)) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class CosOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Cos(W), x);
    }

    [EnergyModel]
    public partial class CosOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Cos((Len(W) * H))) * Dot(W, x);
    }

    [EnergyModel]
    public partial class Log1pOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Log1p(x)) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class Log1pOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Log1p(W), x);
    }

    [EnergyModel]
    public partial class Log1pOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Log1p(Len(W) * H)) * Dot(W, x);
    }

    [EnergyModel]
    public partial class Expm1OnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Expm1(x)) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class Expm1OnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Expm1(W), x);
    }

    [EnergyModel]
    public partial class Expm1OnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Expm1(Len(W) * H)) * Dot(W, x);
    }

    [EnergyModel]
    public partial class LogSigmoidOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(LogSigmoid(x)) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class LogSigmoidOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(LogSigmoid(W), x);
    }

    [EnergyModel]
    public partial class LogSigmoidOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (LogSigmoid(Len(W) * H)) * Dot(W, x);
    }

    [EnergyModel]
    public partial class ErfOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Erf(x)) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class ErfOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Erf(W), x);
    }

    [EnergyModel]
    public partial class ErfOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Erf(Len(W) * H)) * Dot(W, x);
    }

    [EnergyModel]
    public partial class LgammaOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Lgamma(x)) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class LgammaOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Lgamma(W), x);
    }

    [EnergyModel]
    public partial class LgammaOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Lgamma(Len(W) * H)) * Dot(W, x);
    }

    [EnergyModel]
    public partial class PolygammaOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Digamma(x)) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class PolygammaOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Digamma(W), x);
    }

    [EnergyModel]
    public partial class PolygammaOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Digamma(Len(W) * H)) * Dot(W, x);
    }

    [EnergyModel, Subgradient]
    public partial class ReluOnX
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Sum(Relu(x)) + 0.0 * Dot(W, x);
    }

    [EnergyModel]
    public partial class ReluOnParam
    {
        [Param("D", Init = 1.0)] public Vec W;
        [Energy] Scalar E(Vec x) => Dot(Relu(W), x);
    }

    [EnergyModel]
    public partial class ReluOnHost
    {
        [Param("D", Init = 1.0)] public Vec W;
        public double H = 1.0;
        [Energy] Scalar E(Vec x) => (Relu(Len(W) * H)) * Dot(W, x);
    }
}
