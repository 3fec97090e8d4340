#include <dendra/base/parameters.h>
#include <dendra/base/profile.h>
#include <dendra/base/solvers.h>

#include <deal.II/base/quadrature.h>
#include <deal.II/base/timer.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/solver_cg.h>
#include <deal.II/lac/solver_control.h>
#include <deal.II/lac/solver_gmres.h>

#ifdef DENDRA_USE_TRILINOS
#include <deal.II/lac/trilinos_precondition.h>
#include <deal.II/lac/trilinos_solver.h>

#include <Epetra_MultiVector.h>
#include <Teuchos_ParameterList.hpp>
#else
#include <deal.II/lac/petsc_precondition.h>
#include <deal.II/lac/petsc_solver.h>

#include <petscmat.h>
#include <petscpc.h>
#endif

#include <cmath>
#include <sstream>

namespace dendra
{
  using namespace dealii;

  // ML draws the start vectors of its eigenvalue estimates from one
  // process-wide random sequence, so an AMG set-up depended on how many came
  // before it in the process: a run resumed from a checkpoint computed
  // slightly differently from an uninterrupted one. Every set-up now starts
  // the sequence from the same seed (any in [1, 2^31 - 2]).
  extern "C" void ML_set_random_seed(int seed);
  namespace
  {
    void restart_ml_random_sequence()
    {
      ML_set_random_seed(314159);
    }
  } // namespace

  void LinearSolverSettings::declare_parameters(ParameterHandler &prm)
  {
    declare_parameters(prm, LinearSolverSettings());
  }

  void LinearSolverSettings::declare_parameters(ParameterHandler &prm, const LinearSolverSettings &defaults)
  {
    prm.declare_entry("Relative tolerance", format_number(defaults.relative_tolerance), Patterns::Double(1e-16, 1.0),
                      "CG stops when the residual has dropped by this factor (-), in (0, 1].");
    prm.declare_entry("Maximum iterations", std::to_string(defaults.max_iterations), Patterns::Integer(1),
                      "CG iteration limit (-).");
    prm.declare_entry("AMG type", defaults.amg_type, Patterns::Selection("ml|boomeramg|gamg"),
                      "Algebraic multigrid with the PETSc backend: ml (Trilinos ML through PETSc), boomeramg "
                      "(hypre) or gamg (PETSc). The Trilinos backend always uses ML.");
    prm.declare_entry("AMG threshold", format_number(defaults.threshold), Patterns::Double(0.0, 1.0),
                      "ML/GAMG: drop tolerance for weak connections when aggregating (-), 0 keeps all; "
                      "BoomerAMG: strength threshold, 0.25 in 2D and 0.5-0.7 in 3D.");
    prm.declare_entry("AMG smoother sweeps", std::to_string(defaults.smoother_sweeps), Patterns::Integer(1, 10),
                      "Smoothing steps per AMG level (-).");
    prm.declare_entry("AMG prolongator damping", format_number(defaults.prolongator_damping),
                      Patterns::Double(0.0, 2.0), "ML: damping factor of the prolongator smoothing (-).");
    prm.declare_entry("AMG aggressive coarsening levels", std::to_string(defaults.aggressive_coarsening_levels),
                      Patterns::Integer(0, 10), "BoomerAMG: levels with aggressive coarsening (-).");
  }

  void LinearSolverSettings::parse_parameters(const ParameterHandler &prm)
  {
    relative_tolerance           = prm.get_double("Relative tolerance");
    max_iterations               = prm.get_integer("Maximum iterations");
    amg_type                     = prm.get("AMG type");
    threshold                    = prm.get_double("AMG threshold");
    smoother_sweeps              = prm.get_integer("AMG smoother sweeps");
    prolongator_damping          = prm.get_double("AMG prolongator damping");
    aggressive_coarsening_levels = prm.get_integer("AMG aggressive coarsening levels");
  }

  void LinearSolverSettings::declare_method(ParameterHandler &prm)
  {
    prm.declare_entry("Linear solver type", "iterative", Patterns::Selection("iterative|direct"),
                      "iterative: conjugate gradients with algebraic multigrid (subsection Linear solver); "
                      "direct: a sparse LU factorisation (MUMPS), kept while the matrix is unchanged and "
                      "refactorised on its pattern: the faster choice for the many solves of a staggered "
                      "coupling on 2D meshes (up to some 10^5 unknowns).");
  }

  void LinearSolverSettings::parse_method(const ParameterHandler &prm)
  {
    method = prm.get("Linear solver type");
  }

#ifdef DENDRA_USE_TRILINOS
  struct AMGPreconditioner::Implementation
  {
    TrilinosWrappers::PreconditionAMG amg;

    /// ML with deal.II's defaults plus our settings; @p modes (if any)
    /// replaces the near-null space.
    void initialize(const LA::MPI::SparseMatrix &matrix, const std::vector<LA::MPI::Vector> &modes,
                    const LinearSolverSettings &settings)
    {
      TrilinosWrappers::PreconditionAMG::AdditionalData data;
      data.elliptic              = true;
      data.aggregation_threshold = settings.threshold;
      data.smoother_sweeps       = settings.smoother_sweeps;
      Teuchos::ParameterList              list;
      std::unique_ptr<Epetra_MultiVector> constant_modes;
      data.set_parameters(list, constant_modes, matrix);
      list.set("aggregation: damping factor", settings.prolongator_damping);
      std::unique_ptr<Epetra_MultiVector> null_space;
      if (!modes.empty())
        {
          // deal.II 9.4 passes translations only; hand ML all modes.
          const Epetra_Map &map = matrix.trilinos_matrix().DomainMap();
          null_space            = std::make_unique<Epetra_MultiVector>(map, modes.size());
          for (unsigned int m = 0; m < modes.size(); ++m)
            for (int i = 0; i < map.NumMyElements(); ++i)
              (*null_space)[m][i] = (*modes[m].trilinos_vector()(0))[i];
          list.set("null space: type", "pre-computed");
          list.set("null space: dimension", static_cast<int>(modes.size()));
          list.set("null space: vectors", null_space->Values());
        }
      restart_ml_random_sequence();
      amg.initialize(matrix, list);
    }
  };

  struct BlockPreconditioner::Implementation
  {
    // No field split in deal.II's Trilinos wrappers: a direct solve instead.
    mutable SolverControl                  control{1, 0};
    mutable TrilinosWrappers::SolverDirect direct{control};

    void initialize(const LA::MPI::SparseMatrix &matrix, const std::vector<IndexSet> &, const LinearSolverSettings &)
    {
      direct.initialize(matrix);
    }
    void vmult(LA::MPI::Vector &dst, const LA::MPI::Vector &src) const { direct.solve(dst, src); }
  };
#else
  namespace
  {
    /// An algebraic multigrid PC of PETSc (ML, hypre BoomerAMG or GAMG) with
    /// an optional near-null space; deal.II 9.4 wraps only BoomerAMG.
    class PreconditionPETScAMG : public PETScWrappers::PreconditionBase
    {
    public:
      void initialize(const PETScWrappers::MatrixBase    &system_matrix,
                      const std::vector<LA::MPI::Vector> &near_null_space, const unsigned int block_size,
                      const LinearSolverSettings &settings)
      {
        clear();
        matrix = static_cast<Mat>(system_matrix);
        if (!near_null_space.empty())
          {
            // Aggregate the components of a node together.
            check(MatSetBlockSize(matrix, block_size));
            std::vector<Vec> vectors;
            for (const auto &v : near_null_space)
              vectors.push_back(static_cast<const Vec &>(v));
            MatNullSpace null_space;
            check(MatNullSpaceCreate(system_matrix.get_mpi_communicator(), PETSC_FALSE, vectors.size(), vectors.data(),
                                     &null_space));
            check(MatSetNearNullSpace(matrix, null_space));
            MatNullSpaceDestroy(&null_space);
          }
        create_pc();
        // Options under a private prefix; users may still override them with
        // -dendra_amg_... on the PETSc command line.
        check(PCSetOptionsPrefix(pc, "dendra_amg_"));
        const std::string threshold = format_number(settings.threshold);
        const std::string sweeps    = std::to_string(settings.smoother_sweeps);
        if (settings.amg_type == "ml")
          {
            check(PCSetType(pc, PCML));
            set_option("pc_ml_Threshold", threshold);
            set_option("pc_ml_DampingFactor", format_number(settings.prolongator_damping));
            set_option("pc_ml_nullspace", near_null_space.empty() ? "auto" : "user");
            set_option("mg_levels_ksp_max_it", sweeps);
          }
        else if (settings.amg_type == "gamg")
          {
            check(PCSetType(pc, PCGAMG));
            set_option("pc_gamg_threshold", threshold);
            set_option("mg_levels_ksp_max_it", sweeps);
          }
        else
          {
            check(PCSetType(pc, PCHYPRE));
            check(PCHYPRESetType(pc, "boomeramg"));
            set_option("pc_hypre_boomeramg_strong_threshold", threshold);
            set_option("pc_hypre_boomeramg_agg_nl", std::to_string(settings.aggressive_coarsening_levels));
            set_option("pc_hypre_boomeramg_grid_sweeps_all", sweeps);
          }
        check(PCSetFromOptions(pc));
        restart_ml_random_sequence();
        check(PCSetUp(pc));
      }

    private:
      static void check(const PetscErrorCode code) { AssertThrow(code == 0, ExcPETScError(code)); }
      static void set_option(const std::string &name, const std::string &value)
      {
        check(PetscOptionsSetValue(nullptr, ("-dendra_amg_" + name).c_str(), value.c_str()));
      }
    };
  } // namespace

  struct AMGPreconditioner::Implementation
  {
    PreconditionPETScAMG amg;

    void initialize(const LA::MPI::SparseMatrix &matrix, const std::vector<LA::MPI::Vector> &modes,
                    const unsigned int block_size, const LinearSolverSettings &settings)
    {
      amg.initialize(matrix, modes, block_size, settings);
    }
  };

  namespace
  {
    /// PETSc's PCFIELDSPLIT (multiplicative: block Gauss-Seidel) with one
    /// ML V-cycle per diagonal block.
    class PreconditionFieldSplit : public PETScWrappers::PreconditionBase
    {
    public:
      ~PreconditionFieldSplit() override { destroy_index_sets(); }

      void initialize(const PETScWrappers::MatrixBase &system_matrix, const std::vector<IndexSet> &blocks,
                      const LinearSolverSettings &settings)
      {
        clear();
        destroy_index_sets();
        matrix = static_cast<Mat>(system_matrix);
        create_pc();
        check(PCSetOptionsPrefix(pc, "dendra_split_"));
        check(PCSetType(pc, PCFIELDSPLIT));
        check(PCFieldSplitSetType(pc, PC_COMPOSITE_MULTIPLICATIVE));
        for (unsigned int b = 0; b < blocks.size(); ++b)
          {
            std::vector<PetscInt> indices;
            for (const auto i : blocks[b])
              indices.push_back(static_cast<PetscInt>(i));
            IS index_set;
            check(ISCreateGeneral(system_matrix.get_mpi_communicator(), indices.size(), indices.data(),
                                  PETSC_COPY_VALUES, &index_set));
            index_sets.push_back(index_set);
            check(PCFieldSplitSetIS(pc, std::to_string(b).c_str(), index_set));
            const std::string prefix = "fieldsplit_" + std::to_string(b) + "_";
            set_option(prefix + "ksp_type", "preonly");
            if (settings.amg_type == "ml")
              {
                set_option(prefix + "pc_type", "ml");
                set_option(prefix + "pc_ml_Threshold", format_number(settings.threshold));
                set_option(prefix + "pc_ml_DampingFactor", format_number(settings.prolongator_damping));
              }
            else if (settings.amg_type == "gamg")
              {
                set_option(prefix + "pc_type", "gamg");
                set_option(prefix + "pc_gamg_threshold", format_number(settings.threshold));
              }
            else
              {
                set_option(prefix + "pc_type", "hypre");
                set_option(prefix + "pc_hypre_type", "boomeramg");
                set_option(prefix + "pc_hypre_boomeramg_strong_threshold", format_number(settings.threshold));
              }
            set_option(prefix + "mg_levels_ksp_max_it", std::to_string(settings.smoother_sweeps));
          }
        check(PCSetFromOptions(pc));
        restart_ml_random_sequence();
        check(PCSetUp(pc));
      }

    private:
      std::vector<IS> index_sets;

      void destroy_index_sets()
      {
        for (IS &is : index_sets)
          ISDestroy(&is);
        index_sets.clear();
      }
      static void check(const PetscErrorCode code) { AssertThrow(code == 0, ExcPETScError(code)); }
      static void set_option(const std::string &name, const std::string &value)
      {
        check(PetscOptionsSetValue(nullptr, ("-dendra_split_" + name).c_str(), value.c_str()));
      }
    };
  } // namespace

  struct BlockPreconditioner::Implementation
  {
    PreconditionFieldSplit preconditioner;

    void initialize(const LA::MPI::SparseMatrix &matrix, const std::vector<IndexSet> &blocks,
                    const LinearSolverSettings &settings)
    {
      preconditioner.initialize(matrix, blocks, settings);
    }
    void vmult(LA::MPI::Vector &dst, const LA::MPI::Vector &src) const { preconditioner.vmult(dst, src); }
  };
#endif

  AMGPreconditioner::AMGPreconditioner()
    : impl(std::make_unique<Implementation>())
  {}

  AMGPreconditioner::~AMGPreconditioner() = default;

  void AMGPreconditioner::initialize_scalar(const LA::MPI::SparseMatrix &matrix, const LinearSolverSettings &settings)
  {
    const profile::Section section("AMG set-up");
#ifdef DENDRA_USE_TRILINOS
    impl->initialize(matrix, {}, settings);
#else
    impl->initialize(matrix, {}, 1, settings);
#endif
  }

  void AMGPreconditioner::initialize_system(const LA::MPI::SparseMatrix        &matrix,
                                            const std::vector<LA::MPI::Vector> &near_null_space,
                                            const unsigned int block_size, const LinearSolverSettings &settings)
  {
    const profile::Section section("AMG set-up");
#ifdef DENDRA_USE_TRILINOS
    (void)block_size;
    impl->initialize(matrix, near_null_space, settings);
#else
    impl->initialize(matrix, near_null_space, block_size, settings);
#endif
  }

  void AMGPreconditioner::vmult(LA::MPI::Vector &dst, const LA::MPI::Vector &src) const
  {
    impl->amg.vmult(dst, src);
  }

  BlockPreconditioner::BlockPreconditioner()
    : impl(std::make_unique<Implementation>())
  {}

  BlockPreconditioner::~BlockPreconditioner() = default;

  void BlockPreconditioner::initialize(const LA::MPI::SparseMatrix &matrix, const std::vector<IndexSet> &blocks,
                                       const LinearSolverSettings &settings)
  {
    const profile::Section section("block preconditioner set-up");
    impl->initialize(matrix, blocks, settings);
  }

  void BlockPreconditioner::vmult(LA::MPI::Vector &dst, const LA::MPI::Vector &src) const
  {
    impl->vmult(dst, src);
  }

  namespace
  {
    /// Runs a deal.II Krylov solver made by @p make_solver(control) to the
    /// relative tolerance of @p settings; non-convergence becomes a one-line
    /// error naming @p what and the method @p method.
    template <typename MakeSolver, typename Preconditioner>
    SolverReport run_krylov(const std::string &method, MakeSolver make_solver, const LA::MPI::SparseMatrix &matrix,
                            LA::MPI::Vector &solution, const LA::MPI::Vector &rhs, const Preconditioner &preconditioner,
                            const LinearSolverSettings &settings, const std::string &what)
    {
      const profile::Section section(method + " solves");
      SolverReport           report;
      Timer                  timer;
      const double           rhs_norm = rhs.l2_norm();
      if (rhs_norm == 0.0)
        {
          solution = 0;
          return report;
        }
      SolverControl control(settings.max_iterations, settings.relative_tolerance * rhs_norm);
      auto          solver = make_solver(control);
      try
        {
          solver.solve(matrix, solution, rhs, preconditioner);
        }
      catch (const SolverControl::NoConvergence &e)
        {
          std::ostringstream message;
          message << what << ": " << method << " did not converge in " << e.last_step << " iterations (residual "
                  << e.last_residual / rhs_norm << " relative, target " << settings.relative_tolerance << ")";
          throw std::runtime_error(message.str());
        }
      report.iterations = control.last_step();
      report.solve_time = timer.wall_time();
      return report;
    }
  } // namespace

  void solve_direct(const LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &x, const LA::MPI::Vector &b)
  {
    const profile::Section section("direct solves");
    SolverControl          control(1, 0);
#ifdef DENDRA_USE_TRILINOS
    TrilinosWrappers::SolverDirect solver(control);
    solver.initialize(matrix);
    solver.solve(x, b);
#else
    PETScWrappers::SparseDirectMUMPS solver(control, matrix.get_mpi_communicator());
    solver.solve(matrix, x, b);
#endif
  }

#ifdef DENDRA_USE_TRILINOS
  struct DirectSolver::Implementation
  {
    unsigned int factorisations = 0; ///< every solve factorises (Amesos)
    void         clear() {}
  };
#else
  struct DirectSolver::Implementation
  {
    KSP              ksp            = nullptr; ///< preonly + LU (MUMPS), holding a reference to matrix
    Mat              matrix         = nullptr; ///< the matrix it factorises
    PetscObjectState factored_state = -1;      ///< PETSc's state of matrix at its last factorisation
    unsigned int     factorisations = 0;       ///< numeric factorisations so far

    ~Implementation() { clear(); }
    void clear()
    {
      if (ksp)
        KSPDestroy(&ksp);
      ksp            = nullptr;
      matrix         = nullptr;
      factored_state = -1;
    }
  };

  // Exported by PETSc but declared only in its private petscimpl.h: the
  // state counter that PETSc itself compares to decide on a refactorisation.
  extern "C" PetscErrorCode PetscObjectStateGet(PetscObject, PetscObjectState *);

  namespace
  {
    /// Throws with the PETSc function's name if @p code is an error.
    void check_petsc(const PetscErrorCode code, const char *function)
    {
      if (code != 0)
        throw std::runtime_error(std::string(function) + " returned PETSc error " + std::to_string(code));
    }
  } // namespace
#endif

  DirectSolver::DirectSolver()
    : impl(std::make_unique<Implementation>())
  {}

  DirectSolver::~DirectSolver() = default;

  void DirectSolver::clear()
  {
    impl->clear();
  }

  unsigned int DirectSolver::n_factorisations() const
  {
    return impl->factorisations;
  }

  SolverReport DirectSolver::solve(const LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &x, const LA::MPI::Vector &b,
                                   const std::string &what)
  {
    SolverReport       report;
    Timer              timer;
    std::string        failure;
    const unsigned int factorised_before = n_factorisations();
    try
      {
        solve_kept(matrix, x, b);
      }
    catch (const std::exception &e)
      {
        failure = e.what();
      }
    // Every rank throws if one failed (a PETSc error may be raised on some only).
    if (Utilities::MPI::max(failure.empty() ? 0 : 1, matrix.get_mpi_communicator()) > 0)
      {
        clear(); // the next solve starts with a new analysis
        throw std::runtime_error(what + ": the sparse direct solve failed (" +
                                 (failure.empty() ? "on another rank" : failure) + ")");
      }
    report.solve_time     = timer.wall_time();
    report.factorisations = n_factorisations() - factorised_before;
    return report;
  }

  void DirectSolver::solve_kept(const LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &x, const LA::MPI::Vector &b)
  {
#ifdef DENDRA_USE_TRILINOS
    ++impl->factorisations;
    solve_direct(matrix, x, b); // Amesos factorises anew
#else
    const profile::Section section("direct solves");
    const Mat              A = matrix;
    if (impl->matrix != A)
      impl->clear(); // a new matrix object (a new mesh or pattern): a new analysis
    if (!impl->ksp)
      {
        check_petsc(KSPCreate(matrix.get_mpi_communicator(), &impl->ksp), "KSPCreate");
        impl->matrix = A;
        PC pc;
        check_petsc(KSPSetType(impl->ksp, KSPPREONLY), "KSPSetType");
        check_petsc(KSPGetPC(impl->ksp, &pc), "KSPGetPC");
        check_petsc(PCSetType(pc, PCLU), "PCSetType");
        check_petsc(PCFactorSetMatSolverType(pc, MATSOLVERMUMPS), "PCFactorSetMatSolverType");
      }
    // PETSc factorises again only if A changed since the last solve (its
    // object state), and only numerically while the pattern stays.
    PetscObjectState state;
    check_petsc(PetscObjectStateGet(reinterpret_cast<PetscObject>(A), &state), "PetscObjectStateGet");
    if (state != impl->factored_state)
      {
        ++impl->factorisations;
        impl->factored_state = state;
      }
    check_petsc(KSPSetOperators(impl->ksp, A, A), "KSPSetOperators");
    check_petsc(KSPSolve(impl->ksp, b, x), "KSPSolve");
    KSPConvergedReason reason;
    check_petsc(KSPGetConvergedReason(impl->ksp, &reason), "KSPGetConvergedReason");
    if (reason < 0)
      throw std::runtime_error(std::string("the LU factorisation failed, KSP reason ") + KSPConvergedReasons[reason]);
#endif
  }

  SolverReport solve_linear(const LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &solution, const LA::MPI::Vector &rhs,
                            const LinearSolverSettings &settings, const std::string &what, DirectSolver &direct,
                            const std::vector<LA::MPI::Vector> &near_null_space, const unsigned int block_size)
  {
    if (settings.method == "direct")
      return direct.solve(matrix, solution, rhs, what);
    return solve_cg_with_amg(matrix, solution, rhs, settings, what, near_null_space, block_size);
  }

  void add_cell_contribution(const AffineConstraints<double> &constraints, const FullMatrix<double> &local,
                             const Vector<double> &local_rhs, const std::vector<types::global_dof_index> &indices,
                             LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &rhs)
  {
    for (const auto i : indices)
      if (constraints.is_constrained(i))
        {
          constraints.distribute_local_to_global(local, local_rhs, indices, matrix, rhs);
          return;
        }
#ifdef DENDRA_USE_TRILINOS
    matrix.add(indices, local, false);
#else
    // One MatSetValues for the whole (row-major) cell matrix.
    thread_local std::vector<PetscInt> petsc_indices;
    petsc_indices.assign(indices.begin(), indices.end());
    const PetscErrorCode code = MatSetValues(static_cast<Mat>(matrix), petsc_indices.size(), petsc_indices.data(),
                                             petsc_indices.size(), petsc_indices.data(), &local(0, 0), ADD_VALUES);
    AssertThrow(code == 0, ExcPETScError(code));
#endif
    rhs.add(indices, local_rhs);
  }

  SolverReport solve_gmres(const LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &solution, const LA::MPI::Vector &rhs,
                           const BlockPreconditioner &preconditioner, const LinearSolverSettings &settings,
                           const std::string &what)
  {
    const unsigned int restart = std::min(settings.max_iterations, 200u);
    const auto         make    = [restart](SolverControl &control) {
      return SolverGMRES<LA::MPI::Vector>(control, SolverGMRES<LA::MPI::Vector>::AdditionalData(restart + 2, true));
    };
    return run_krylov("GMRES", make, matrix, solution, rhs, preconditioner, settings, what);
  }

  SolverReport solve_cg(const LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &solution, const LA::MPI::Vector &rhs,
                        const AMGPreconditioner &preconditioner, const LinearSolverSettings &settings,
                        const std::string &what)
  {
    const auto make = [](SolverControl &control) { return SolverCG<LA::MPI::Vector>(control); };
    return run_krylov("CG", make, matrix, solution, rhs, preconditioner, settings, what);
  }

  namespace
  {
    /// One AMG set-up and CG solve; the set-up time goes to the report.
    SolverReport amg_cg(const LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &solution, const LA::MPI::Vector &rhs,
                        const LinearSolverSettings &settings, const std::string &what,
                        const std::vector<LA::MPI::Vector> &near_null_space, const unsigned int block_size)
    {
      AMGPreconditioner amg;
      Timer             timer;
      if (near_null_space.empty())
        amg.initialize_scalar(matrix, settings);
      else
        amg.initialize_system(matrix, near_null_space, block_size, settings);
      const double setup_time = timer.wall_time();
      SolverReport report     = solve_cg(matrix, solution, rhs, amg, settings, what);
      report.amg_setup_time   = setup_time;
      return report;
    }
  } // namespace

  SolverReport solve_cg_with_amg(const LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &solution,
                                 const LA::MPI::Vector &rhs, const LinearSolverSettings &settings,
                                 const std::string &what, const std::vector<LA::MPI::Vector> &near_null_space,
                                 const unsigned int block_size)
  {
    const LA::MPI::Vector guess = solution;
    try
      {
        return amg_cg(matrix, solution, rhs, settings, what, near_null_space, block_size);
      }
    catch (const std::exception &)
      {
        // ML's V-cycle can break down (a NaN residual) on the damage matrices
        // of strongly cracked 3D meshes, where BoomerAMG still converges.
#ifndef DENDRA_USE_TRILINOS
        if (settings.amg_type == "boomeramg")
          throw;
#endif
      }
    solution = guess;
#ifdef DENDRA_USE_TRILINOS
    // The Trilinos backend has only ML: fall back to a direct solve.
    SolverReport report;
    Timer        timer;
    try
      {
        solve_direct(matrix, solution, rhs);
      }
    catch (const std::exception &)
      {
        throw std::runtime_error(what + ": CG with ML failed, and so did the sparse direct solve tried after it");
      }
    report.solve_time = timer.wall_time();
    return report;
#else
    LinearSolverSettings fallback = settings;
    fallback.amg_type             = "boomeramg";
    return amg_cg(matrix, solution, rhs, fallback, what + " (BoomerAMG after " + settings.amg_type + " failed)",
                  near_null_space, block_size);
#endif
  }

  LA::MPI::Vector scale_symmetrically(LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &rhs)
  {
    LA::MPI::Vector scaling(rhs);
    const auto      range = matrix.local_range();
    for (auto i = range.first; i < range.second; ++i)
      {
        const double a = std::abs(matrix.diag_element(i));
        scaling(i)     = (a > 0 ? 1.0 / std::sqrt(a) : 1.0);
      }
    scaling.compress(VectorOperation::insert);
    scale_symmetrically(matrix, rhs, scaling);
    return scaling;
  }

  void scale_symmetrically(LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &rhs, const LA::MPI::Vector &scaling)
  {
#ifdef DENDRA_USE_TRILINOS
    auto                &epetra = const_cast<Epetra_CrsMatrix &>(matrix.trilinos_matrix());
    const Epetra_Vector &d      = *scaling.trilinos_vector()(0);
    epetra.LeftScale(d);
    epetra.RightScale(d);
#else
    const Vec      d    = static_cast<const Vec &>(scaling);
    PetscErrorCode ierr = MatDiagonalScale(matrix.petsc_matrix(), d, d);
    AssertThrow(ierr == 0, ExcPETScError(ierr));
#endif
    rhs.scale(scaling);
  }

  ReusableAMGSolver::ReusableAMGSolver()  = default;
  ReusableAMGSolver::~ReusableAMGSolver() = default;

  void ReusableAMGSolver::clear()
  {
    amg.reset();
  }

  SolverReport ReusableAMGSolver::solve(LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &solution, LA::MPI::Vector &rhs,
                                        const LinearSolverSettings &settings, const std::string &what)
  {
    const LA::MPI::Vector guess = solution;
    SolverReport          report;
    if (amg)
      {
        scale_symmetrically(matrix, rhs, scaling);
        try
          {
            report = solve_cg(matrix, solution, rhs, *amg, settings, what);
            if (report.iterations > 2 * first_iterations + 5)
              clear(); // the matrices drifted: a new AMG for the next solve
            solution.scale(scaling);
            return report;
          }
        catch (const std::exception &)
          {
            clear(); // set up anew on this matrix, scaled by the old D (still SPD)
            solution = guess;
          }
      }
    else
      scaling = scale_symmetrically(matrix, rhs);
    Timer timer;
    auto  fresh = std::make_unique<AMGPreconditioner>();
    fresh->initialize_scalar(matrix, settings);
    amg                   = std::move(fresh); // kept only once set up
    report.amg_setup_time = timer.wall_time();
    try
      {
        const double setup_time = report.amg_setup_time;
        report                  = solve_cg(matrix, solution, rhs, *amg, settings, what);
        report.amg_setup_time   = setup_time;
        first_iterations        = report.iterations;
      }
    catch (const std::exception &)
      {
        clear();
        solution = guess;
        report   = solve_cg_with_amg(matrix, solution, rhs, settings, what);
      }
    solution.scale(scaling);
    return report;
  }

  template <int dim>
  std::vector<LA::MPI::Vector> rigid_body_modes(const DoFHandler<dim> &dof_handler, MPI_Comm communicator)
  {
    const unsigned int           n_modes = (dim == 2 ? 3 : 6);
    const IndexSet               owned   = dof_handler.locally_owned_dofs();
    std::vector<LA::MPI::Vector> modes(n_modes);
    for (auto &m : modes)
      m.reinit(owned, communicator);

    const FiniteElement<dim> &fe = dof_handler.get_fe();
    FEValues<dim>             fe_values(fe, Quadrature<dim>(fe.get_unit_support_points()), update_quadrature_points);
    std::vector<types::global_dof_index> indices(fe.n_dofs_per_cell());
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fe_values.reinit(cell);
          cell->get_dof_indices(indices);
          for (unsigned int i = 0; i < indices.size(); ++i)
            if (owned.is_element(indices[i]))
              {
                const unsigned int c = fe.system_to_component_index(i).first;
                const Point<dim>  &p = fe_values.quadrature_point(i);
                modes[c](indices[i]) = 1.0; // translations
                if (dim == 2)
                  modes[2](indices[i]) = (c == 0 ? -p[1] : p[0]);
                else
                  {
                    // rotations about x, y, z: (0,-z,y), (z,0,-x), (-y,x,0)
                    const double rx[3]   = {0, -p[dim - 1], p[1]};
                    const double ry[3]   = {p[dim - 1], 0, -p[0]};
                    const double rz[3]   = {-p[1], p[0], 0};
                    modes[3](indices[i]) = rx[c];
                    modes[4](indices[i]) = ry[c];
                    modes[5](indices[i]) = rz[c];
                  }
              }
        }
    for (auto &m : modes)
      m.compress(VectorOperation::insert);

    // Modified Gram-Schmidt: PETSc requires orthonormal null-space vectors.
    for (unsigned int k = 0; k < n_modes; ++k)
      {
        for (unsigned int j = 0; j < k; ++j)
          modes[k].add(-(modes[k] * modes[j]), modes[j]);
        modes[k] /= modes[k].l2_norm();
      }
    return modes;
  }

  template std::vector<LA::MPI::Vector> rigid_body_modes<2>(const DoFHandler<2> &, MPI_Comm);
  template std::vector<LA::MPI::Vector> rigid_body_modes<3>(const DoFHandler<3> &, MPI_Comm);
} // namespace dendra
