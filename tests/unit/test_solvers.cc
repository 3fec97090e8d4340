// The shared solver layer: CG with AMG, and the retry with a more robust
// method after a failed solve (solve_cg_with_amg).
#include <dendra/base/solvers.h>

#include <deal.II/base/index_set.h>
#include <deal.II/base/mpi.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>

#include <catch2/catch.hpp>

#include <cmath>

using namespace dealii;
using namespace dendra;

namespace
{
  /// The 5-point Laplacian of an m x m grid with Dirichlet rows eliminated,
  /// its rows split evenly over the ranks of MPI_COMM_WORLD, and a right-hand
  /// side made from a known smooth solution.
  struct GridLaplacian
  {
    explicit GridLaplacian(const unsigned int m)
      : owned(m * m)
    {
      const unsigned int n = m * m, ranks = Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD),
                         rank = Utilities::MPI::this_mpi_process(MPI_COMM_WORLD);
      owned.add_range(n * rank / ranks, n * (rank + 1) / ranks);
      // Row i = m y + x couples to its neighbours in x and y on the grid.
      const auto for_each_entry = [m](const types::global_dof_index i, const auto &add) {
        const unsigned int x = i % m, y = i / m;
        add(i, 4.0);
        if (x > 0)
          add(i - 1, -1.0);
        if (x + 1 < m)
          add(i + 1, -1.0);
        if (y > 0)
          add(i - m, -1.0);
        if (y + 1 < m)
          add(i + m, -1.0);
      };
      DynamicSparsityPattern pattern(n, n, owned);
      for (const auto i : owned)
        for_each_entry(i, [&](const types::global_dof_index j, double) { pattern.add(i, j); });
      matrix.reinit(owned, owned, pattern, MPI_COMM_WORLD);
      for (const auto i : owned)
        for_each_entry(i, [&](const types::global_dof_index j, const double a) { matrix.set(i, j, a); });
      matrix.compress(VectorOperation::insert);

      exact.reinit(owned, MPI_COMM_WORLD);
      rhs.reinit(owned, MPI_COMM_WORLD);
      for (const auto i : owned)
        exact(i) = std::sin(3.0 * (i % m) / m) * std::cos(2.0 * (i / m) / m);
      exact.compress(VectorOperation::insert);
      matrix.vmult(rhs, exact);
    }

    /// Relative max-norm error of @p x against the known solution.
    double error(const LA::MPI::Vector &x) const
    {
      LA::MPI::Vector difference(x);
      difference -= exact;
      return difference.linfty_norm() / exact.linfty_norm();
    }

    IndexSet              owned;
    LA::MPI::SparseMatrix matrix;
    LA::MPI::Vector       exact, rhs;
  };
} // namespace

TEST_CASE("CG with AMG solves a Poisson matrix and retries a failed solve", "[solvers]")
{
  const GridLaplacian  laplacian(60);
  LinearSolverSettings settings;
  settings.relative_tolerance = 1e-10;
  // ML without prolongator smoothing (plain aggregation) is a weak
  // preconditioner and BoomerAMG without aggressive coarsening a strong one,
  // so some iteration limit stops ML short but not BoomerAMG.
  settings.prolongator_damping          = 0.0;
  settings.aggressive_coarsening_levels = 0;
  LA::MPI::Vector x(laplacian.owned, MPI_COMM_WORLD);

  // CG's residual reduction of 1e-10 on a condition number of about 1.5e3.
  const double tolerance = 1e-6;
  settings.amg_type      = "ml";
  const unsigned int ml  = solve_cg_with_amg(laplacian.matrix, x, laplacian.rhs, settings, "Test").iterations;
  CHECK(laplacian.error(x) < tolerance);
  CHECK(ml > 1);

#ifndef DENDRA_USE_TRILINOS
  x                               = 0;
  settings.amg_type               = "boomeramg";
  const unsigned int boomeramg    = solve_cg_with_amg(laplacian.matrix, x, laplacian.rhs, settings, "Test").iterations;
  const double       boomer_error = laplacian.error(x);
  CHECK(boomer_error < tolerance);
  INFO("CG iterations: ML " << ml << ", BoomerAMG " << boomeramg);
  REQUIRE(boomeramg < ml);

  SECTION("ML stopped short is repeated with BoomerAMG, which converges")
  {
    settings.amg_type         = "ml";
    settings.max_iterations   = boomeramg;
    x                         = 0;
    const SolverReport report = solve_cg_with_amg(laplacian.matrix, x, laplacian.rhs, settings, "Test");
    CHECK(report.iterations == boomeramg);
    CHECK(laplacian.error(x) == Approx(boomer_error).epsilon(1e-6));
  }
  SECTION("a failed fallback names both methods")
  {
    settings.amg_type       = "ml";
    settings.max_iterations = 1;
    x                       = 0;
    CHECK_THROWS_WITH(solve_cg_with_amg(laplacian.matrix, x, laplacian.rhs, settings, "Test system"),
                      Catch::StartsWith("Test system (BoomerAMG after ml failed): CG did not converge"));
  }
  SECTION("a failed BoomerAMG solve is not repeated")
  {
    settings.max_iterations = 1;
    x                       = 0;
    CHECK_THROWS_WITH(solve_cg_with_amg(laplacian.matrix, x, laplacian.rhs, settings, "Test system"),
                      Catch::StartsWith("Test system: CG did not converge"));
  }
#else
  SECTION("ML stopped short is followed by a direct solve")
  {
    settings.max_iterations = 1;
    x                       = 0;
    solve_cg_with_amg(laplacian.matrix, x, laplacian.rhs, settings, "Test");
    CHECK(laplacian.error(x) < 1e-12);
  }
#endif
}

TEST_CASE("The kept direct solver refactorises a changed matrix and only then", "[solvers]")
{
#ifdef DENDRA_USE_TRILINOS
  const bool keeps = false; // Amesos factorises at every solve
#else
  const bool keeps = true;
#endif
  GridLaplacian      laplacian(40);
  DirectSolver       direct;
  LA::MPI::Vector    x(laplacian.owned, MPI_COMM_WORLD);
  const SolverReport first = direct.solve(laplacian.matrix, x, laplacian.rhs, "Test");
  CHECK(first.iterations == 0); // the statistics' CG iteration columns read 0 for direct solves
  CHECK(laplacian.error(x) < 1e-12);
  CHECK(direct.n_factorisations() == 1);

  // A second right-hand side on the unchanged matrix: twice the solution, on the same factors.
  LA::MPI::Vector twice(laplacian.rhs);
  twice *= 2.0;
  direct.solve(laplacian.matrix, x, twice, "Test");
  CHECK(direct.n_factorisations() == (keeps ? 1 : 2));
  LA::MPI::Vector expected(laplacian.exact);
  expected *= 2.0;
  expected -= x;
  CHECK(expected.linfty_norm() < 1e-12 * laplacian.exact.linfty_norm());

  SECTION("new values on the same pattern are factorised, not the old factors reused")
  {
    // A + s I with the same pattern: the solution of (A + s I) x = b differs from A's.
    const double shift = 0.5;
    for (const auto i : laplacian.owned)
      laplacian.matrix.add(i, i, shift);
    laplacian.matrix.compress(VectorOperation::add);
    LA::MPI::Vector b(laplacian.owned, MPI_COMM_WORLD);
    laplacian.matrix.vmult(b, laplacian.exact);
    direct.solve(laplacian.matrix, x, b, "Test");
    CHECK(direct.n_factorisations() == (keeps ? 2 : 3));
    CHECK(laplacian.error(x) < 1e-12);
  }
  SECTION("a new matrix object of the same size gets its own factorisation")
  {
    GridLaplacian other(40);
    for (const auto i : other.owned)
      other.matrix.add(i, i, 1.0); // other values: the old factors would give a wrong solution
    other.matrix.compress(VectorOperation::add);
    other.matrix.vmult(other.rhs, other.exact);
    LA::MPI::Vector y(other.owned, MPI_COMM_WORLD);
    direct.solve(other.matrix, y, other.rhs, "Test");
    CHECK(direct.n_factorisations() == (keeps ? 2 : 3));
    CHECK(other.error(y) < 1e-12);
  }
  SECTION("a singular matrix is a one-line error naming the system, on every rank")
  {
    laplacian.matrix *= 0.0; // the same pattern, all zero
    CHECK_THROWS_WITH(direct.solve(laplacian.matrix, x, laplacian.rhs, "Test system"),
                      Catch::StartsWith("Test system: the sparse direct solve failed ("));
  }
  SECTION("solve_linear dispatches on the method")
  {
    LinearSolverSettings settings;
    settings.relative_tolerance = 1e-10;
    x                           = 0;
    CHECK(solve_linear(laplacian.matrix, x, laplacian.rhs, settings, "Test", direct).iterations > 1);
    CHECK(direct.n_factorisations() == (keeps ? 1 : 2)); // CG did not use it
    settings.method = "direct";
    x               = 0;
    CHECK(solve_linear(laplacian.matrix, x, laplacian.rhs, settings, "Test", direct).iterations == 0);
    CHECK(laplacian.error(x) < 1e-12);
  }
}
