// Coupling schemes on problems with known answers: the staggered fixed
// point on two linear fields with a known contraction factor (plain and with
// Aitken relaxation), step halving of an irreversible load step, and the
// monolithic Newton on two linear and two nonlinear fields.

#include <dendra/base/exceptions.h>
#include <dendra/core/coupling_schemes.h>

#include <deal.II/base/index_set.h>
#include <deal.II/base/mpi.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <utility>
#include <vector>

using namespace dealii;
using namespace dendra;

namespace
{
  /// Two linear fields solved in turn: u = a v + b, then v = c u + d. The
  /// interface state is v; a sweep maps it to G(v) = c (a v + b) + d, a
  /// contraction with factor a c towards v* = (c b + d) / (1 - a c).
  class LinearPair : public CoupledGroup
  {
  public:
    LinearPair(const double a, const double b, const double c, const double d, const double v0)
      : a(a)
      , b(b)
      , c(c)
      , d(d)
      , v(v0)
    {}
    void sweep(const unsigned int) override
    {
      u = a * v + b;
      v = c * u + d;
      ++sweeps;
    }
    LA::MPI::Vector interface_state() const override
    {
      // One entry, owned by rank 0 (the test may run on more ranks).
      IndexSet owned(1);
      if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
        owned.add_index(0);
      LA::MPI::Vector x(owned, MPI_COMM_WORLD);
      if (owned.n_elements() > 0)
        x(0) = v;
      x.compress(VectorOperation::insert);
      return x;
    }
    void set_interface_state(const LA::MPI::Vector &x) override
    {
      double value = 0;
      if (x.locally_owned_elements().n_elements() > 0)
        value = x(0);
      v = Utilities::MPI::sum(value, MPI_COMM_WORLD);
    }
    double solution() const { return (c * b + d) / (1 - a * c); }

    double       a, b, c, d, u = 0, v;
    unsigned int sweeps = 0;
  };

  /// Sweeps the plain iteration needs: the first k >= 2 whose relative change
  /// |G(v_k-1) - v_k-1| / |G(v_k-1)| is at most tol, with v_k - v* = (ac)^k (v_0 - v*).
  unsigned int predicted_sweeps(const LinearPair &pair, const double v0, const double tol)
  {
    const double q = pair.a * pair.c, e0 = v0 - pair.solution();
    for (unsigned int k = 1;; ++k)
      {
        const double before = std::pow(q, k - 1) * e0, after = std::pow(q, k) * e0;
        if (k >= 2 && std::abs(after - before) / std::abs(pair.solution() + after) <= tol)
          return k;
      }
  }
} // namespace

TEST_CASE("Staggered fixed point: sweeps against the contraction factor, and Aitken's", "[coupling]")
{
  StaggeredIteration::Settings settings;
  settings.max_iterations = 200;
  settings.min_iterations = 2;
  settings.tolerance      = 1e-10;
  for (const double factor : {0.5, 0.9, -0.8})
    {
      INFO("contraction factor " << factor);
      const double v0 = 0;
      LinearPair   plain(factor / 2, 1.0, 2.0, 3.0, v0); // a c = factor
      const auto   report = StaggeredIteration(settings).solve(plain, "test pair");
      CHECK(report.iterations == predicted_sweeps(plain, v0, 1e-10));
      CHECK(plain.v == Approx(plain.solution()).epsilon(1e-9));

      // Aitken on a linear fixed point with a scalar interface: w_2 =
      // 1 / (1 - a c) lands on v* after the second sweep; the third confirms it.
      settings.aitken = true;
      LinearPair relaxed(factor / 2, 1.0, 2.0, 3.0, v0);
      const auto fast = StaggeredIteration(settings).solve(relaxed, "test pair");
      settings.aitken = false;
      CHECK(fast.iterations == 3);
      CHECK(relaxed.v == Approx(relaxed.solution()).epsilon(1e-12));
      CHECK(fast.iterations < report.iterations);
    }

  // One pass: the coupling is lagged, nothing is compared.
  StaggeredIteration::Settings once;
  LinearPair                   lagged(0.45, 1.0, 2.0, 3.0, 0.0);
  CHECK(StaggeredIteration(once).solve(lagged, "test pair").iterations == 1);
  CHECK(lagged.sweeps == 1);

  // Too few passes: the error names the group, the change and the entry.
  settings.max_iterations = 5;
  LinearPair slow(0.45, 1.0, 2.0, 3.0, 0.0);
  CHECK_THROWS_WITH(StaggeredIteration(settings).solve(slow, "test pair"),
                    Catch::Contains("test pair: change") && Catch::Contains("after 5 passes") &&
                      Catch::Contains("Coupling/Staggered/Tolerance"));
}

TEST_CASE("Step halving: the retries of a load step that fails above a largest increment", "[coupling]")
{
  // Solves fail when the increment exceeds 0.3: from 0 to 1 the scheme tries
  // 1 (fails), 0.5 (fails), 0.25; then 1 (fails), 0.625 (fails), 0.4375; then
  // 1 (fails), 0.71875; then 1.
  class Step : public IrreversibleStep
  {
  public:
    void solve_to(const double start, const double target) override
    {
      calls.emplace_back(start, target);
      if (target - start > 0.3)
        throw std::runtime_error("too large");
    }
    void                                   reset() override { ++resets; }
    std::vector<std::pair<double, double>> calls;
    unsigned int                           resets = 0;
  } step;
  std::vector<std::string> log;
  const unsigned int       halvings =
    advance_with_step_halving(step, 0, 1, 10, [&](const std::string &line) { log.push_back(line); });
  const std::vector<std::pair<double, double>> expected = {{0, 1},      {0, 0.5},          {0, 0.25},
                                                           {0.25, 1},   {0.25, 0.625},     {0.25, 0.4375},
                                                           {0.4375, 1}, {0.4375, 0.71875}, {0.71875, 1}};
  CHECK(halvings == 5);
  CHECK(step.resets == 5);
  CHECK(log.size() == 5);
  REQUIRE(step.calls.size() == expected.size());
  for (unsigned int i = 0; i < expected.size(); ++i)
    {
      CHECK(step.calls[i].first == expected[i].first);
      CHECK(step.calls[i].second == expected[i].second);
    }

  // Fewer halvings allowed: the error says how many and where.
  Step again;
  CHECK_THROWS_WITH(advance_with_step_halving(again, 0, 1, 4, {}),
                    Catch::Contains("after 4 halvings of the step, at t = 1 s: too large"));
  // Input errors are not retried.
  class Bad : public IrreversibleStep
  {
  public:
    void solve_to(double, double) override { throw InputError("Somewhere/Entry: wrong"); }
    void reset() override { FAIL("an input error must not be retried"); }
  } bad;
  CHECK_THROWS_AS(advance_with_step_halving(bad, 0, 1, 10, {}), InputError);
}

namespace
{
  /// Two scalar fields (both entries on rank 0) sharing one Newton system:
  /// R(x1, x2) and the diagonal Jacobian blocks dR1/dx1, dR2/dx2 as the
  /// fields' own preconditioners.
  class TwoScalarFields : public CoupledSystem
  {
  public:
    using Pair = std::pair<double, double>;
    TwoScalarFields(std::function<Pair(double, double)> residual_of, std::function<Pair(double, double)> diagonal_of,
                    const Pair &x0)
      : residual_of(std::move(residual_of))
      , diagonal_of(std::move(diagonal_of))
      , x(x0)
    {}
    LA::MPI::BlockVector state() const override { return vector(x); }
    void                 set_state(const LA::MPI::BlockVector &v) override { x = values(v); }
    void                 residual(LA::MPI::BlockVector &r) override
    {
      ++evaluations;
      r = vector(residual_of(x.first, x.second));
    }
    void precondition(const LA::MPI::BlockVector &r, LA::MPI::BlockVector &z) override
    {
      const auto [r1, r2] = values(r);
      const auto [d1, d2] = diagonal_of(x.first, x.second);
      z                   = vector({r1 / d1, r2 / d2});
    }

    std::function<Pair(double, double)> residual_of, diagonal_of;
    Pair                                x;
    unsigned int                        evaluations = 0;

  private:
    static IndexSet owned()
    {
      IndexSet set(1);
      if (Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0)
        set.add_index(0);
      return set;
    }
    static LA::MPI::BlockVector vector(const Pair &v)
    {
      LA::MPI::BlockVector b(std::vector<IndexSet>{owned(), owned()}, MPI_COMM_WORLD);
      if (owned().n_elements() > 0)
        {
          b.block(0)(0) = v.first;
          b.block(1)(0) = v.second;
        }
      b.compress(VectorOperation::insert);
      return b;
    }
    static Pair values(const LA::MPI::BlockVector &b)
    {
      Pair v{0, 0};
      if (owned().n_elements() > 0)
        v = {b.block(0)(0), b.block(1)(0)};
      return {Utilities::MPI::sum(v.first, MPI_COMM_WORLD), Utilities::MPI::sum(v.second, MPI_COMM_WORLD)};
    }
  };
} // namespace

TEST_CASE("Monolithic Newton: one update for two linear fields, Newton's count for two nonlinear ones", "[coupling]")
{
  using Pair = TwoScalarFields::Pair;
  // Linear: 4 x1 + 3 x2 = 1, 2 x1 + 5 x2 = 2, whose staggered solution
  // contracts by (3/4)(2/5) = 0.3 per sweep; together: x = (-1/14, 3/7).
  MonolithicNewton::Settings settings;
  settings.tolerance        = 1e-6;
  settings.linear_tolerance = 1e-12;
  TwoScalarFields linear([](double x1, double x2) { return Pair{4 * x1 + 3 * x2 - 1, 2 * x1 + 5 * x2 - 2}; },
                         [](double, double) { return Pair{4, 5}; }, {0, 0});
  const auto      report = MonolithicNewton(settings).solve(linear, "linear pair");
  CHECK(report.iterations == 1);
  CHECK(report.linear_iterations <= 2); // GMRES on a 2 x 2 system
  CHECK(linear.x.first == Approx(-1.0 / 14).epsilon(1e-7));
  CHECK(linear.x.second == Approx(3.0 / 7).epsilon(1e-7));

  // Nonlinear: x1^2 + x2 = 6, x1 + x2^3 = 10 from (1, 1): the root (2, 2).
  // Newton with the exact Jacobian and the same line search (halve the
  // update until |R| decreases, at most 5 times), by hand, sets the count.
  const auto residual_of = [](double x1, double x2) { return Pair{x1 * x1 + x2 - 6, x1 + x2 * x2 * x2 - 10}; };
  const auto norm_at     = [&](double x1, double x2) {
    const auto [r1, r2] = residual_of(x1, x2);
    return std::hypot(r1, r2);
  };
  settings.tolerance            = 1e-12;
  unsigned int exact_iterations = 0;
  {
    double       x1 = 1, x2 = 1;
    const double first = norm_at(x1, x2);
    while (norm_at(x1, x2) > settings.tolerance * first)
      {
        const auto [r1, r2] = residual_of(x1, x2);
        const double a = 2 * x1, b = 1, c = 1, d = 3 * x2 * x2, det = a * d - b * c;
        const double dx1 = -(d * r1 - b * r2) / det, dx2 = -(a * r2 - c * r1) / det;
        double       step = 1;
        for (unsigned int cut = 0; norm_at(x1 + step * dx1, x2 + step * dx2) >= norm_at(x1, x2) && cut < 5; ++cut)
          step /= 2;
        x1 += step * dx1;
        x2 += step * dx2;
        ++exact_iterations;
      }
  }
  TwoScalarFields nonlinear(residual_of, [](double x1, double x2) { return Pair{2 * x1, 3 * x2 * x2}; }, {1, 1});
  const auto      newton = MonolithicNewton(settings).solve(nonlinear, "nonlinear pair");
  INFO("exact Newton " << exact_iterations << " updates, monolithic " << newton.iterations);
  CHECK(exact_iterations >= 4);
  CHECK(newton.iterations == exact_iterations);
  CHECK(nonlinear.x.first == Approx(2.0).epsilon(1e-10));
  CHECK(nonlinear.x.second == Approx(2.0).epsilon(1e-10));
  // Quadratic at the end: the last update gains far more than a linear rate would.
  const auto &r = newton.residuals;
  CHECK(r[r.size() - 1] / r[r.size() - 2] < 1e-3);

  // Too few updates: the error names the system, the residual and the entry.
  settings.max_iterations = 2;
  TwoScalarFields slow(residual_of, [](double x1, double x2) { return Pair{2 * x1, 3 * x2 * x2}; }, {1, 1});
  CHECK_THROWS_WITH(MonolithicNewton(settings).solve(slow, "nonlinear pair"),
                    Catch::Contains("nonlinear pair: residual") && Catch::Contains("after 2 Newton updates") &&
                      Catch::Contains("Coupling/Monolithic/Tolerance"));
}

namespace
{
  /// R(p) = a - b p - c p^2 from a callable, counting evaluations.
  struct Quadratic : dendra::ScalarBalance
  {
    double a, b, c;
    Quadratic(const double a, const double b, const double c)
      : a(a)
      , b(b)
      , c(c)
    {}
    double residual(const double p) override { return a - b * p - c * p * p; }
  };
} // namespace

TEST_CASE("The pressure balance finds the root of a falling residual", "[coupling]")
{
  dendra::PressureBalance::Settings settings;
  settings.tolerance = 1e-12;
  const dendra::PressureBalance balance(settings);
  // Linear: the second evaluation is the root.
  Quadratic  linear(3.7e-12, 2.1e-20, 0);
  const auto r = balance.solve(linear, 0, 1e6, 3.7e-12, 0, 1e12, "linear");
  CHECK(r.root == Approx(3.7e-12 / 2.1e-20).epsilon(1e-10));
  CHECK(r.evaluations <= 3);
  // Quadratic with a known root p* = 2.5e8: a = b p* + c p*^2.
  const double pstar = 2.5e8, b = 2e-20, c = 3e-28;
  Quadratic    quadratic(b * pstar + c * pstar * pstar, b, c);
  const auto   q = balance.solve(quadratic, 1e7, 1e6, quadratic.a, 0, 1e12, "quadratic");
  CHECK(q.root == Approx(pstar).epsilon(1e-9));
  CHECK(q.evaluations < 20);
  // A known slope makes the first step a Newton step: the linear root at the
  // second evaluation from 1e8 (a first step of 1e6: up to three), and
  // the quadratic's from a start 20 % off with the slope its last solve
  // reports (that of the root).
  const auto newton = balance.solve(linear, 1e8, 1e6, 3.7e-12, 0, 1e12, "linear", -2.1e-20);
  CHECK(newton.root == Approx(3.7e-12 / 2.1e-20).epsilon(1e-10));
  CHECK(newton.evaluations == 2);
  // A Newton step moves p by at most max(step, |p|): a noisy, far too flat
  // slope does not throw p out of reach (the root is still found).
  struct Farthest : dendra::ScalarBalance
  {
    Quadratic &r;
    double     largest_p = 0;
    explicit Farthest(Quadratic &r)
      : r(r)
    {}
    double residual(const double p) override
    {
      largest_p = std::max(largest_p, p);
      return r.residual(p);
    }
  } watched(linear);
  const auto flat = balance.solve(watched, 1e8, 1e6, 3.7e-12, 0, 1e12, "linear", -1e-35);
  CHECK(flat.root == Approx(3.7e-12 / 2.1e-20).epsilon(1e-10));
  CHECK(watched.largest_p <= 2e8);
  CHECK(q.slope == Approx(-(b + 2 * c * pstar)).epsilon(1e-3));
  const double nearby = 1.2 * pstar;
  const auto   warm   = balance.solve(quadratic, nearby, 1e6, quadratic.a, 0, 1e12, "quadratic", q.slope);
  CHECK(warm.root == Approx(pstar).epsilon(1e-9));
  CHECK(warm.evaluations < 20);
  // A slope of the wrong sign is not used: the same iterates as without one.
  CHECK(balance.solve(quadratic, nearby, 1e6, quadratic.a, 0, 1e12, "quadratic", 1.0).evaluations ==
        balance.solve(quadratic, nearby, 1e6, quadratic.a, 0, 1e12, "quadratic").evaluations);
  // A cap below the root: the bound is returned.
  const auto capped = balance.solve(quadratic, 0, 1e6, quadratic.a, 0, 1e8, "capped");
  CHECK(capped.at_bound);
  CHECK(capped.root == 1e8);
  CHECK(capped.residual > 0);
}
