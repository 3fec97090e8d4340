#pragma once

#include <dendra/base/linear_algebra.h>

#include <deal.II/base/index_set.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/vector.h>

#include <memory>
#include <string>
#include <vector>

namespace dendra
{
  /// Settings of a linear solve: preconditioned CG with algebraic multigrid
  /// or, where a field offers it, a sparse direct solve.
  struct LinearSolverSettings
  {
    std::string  method                       = "iterative"; ///< iterative (CG with AMG) | direct (DirectSolver)
    double       relative_tolerance           = 1e-8;        ///< residual reduction (-), in (0, 1)
    unsigned int max_iterations               = 500;         ///< CG iteration limit (-)
    std::string  amg_type                     = "ml";        ///< ml | boomeramg | gamg (PETSc); ML for Trilinos
    double       threshold                    = 0.0;         ///< ML/GAMG drop tolerance; BoomerAMG strong threshold (-)
    unsigned int smoother_sweeps              = 2;           ///< smoothing steps per level (-)
    double       prolongator_damping          = 4. / 3.;     ///< ML prolongator smoothing damping factor (-)
    unsigned int aggressive_coarsening_levels = 1;           ///< BoomerAMG levels with aggressive coarsening (-)

    /// Declares the entries in the current subsection with the defaults above.
    static void declare_parameters(dealii::ParameterHandler &prm);
    /// Declares the entries in the current subsection; defaults from @p defaults.
    static void declare_parameters(dealii::ParameterHandler &prm, const LinearSolverSettings &defaults);
    /// Reads the entries from the current subsection.
    void parse_parameters(const dealii::ParameterHandler &prm);
    /// Declares "Linear solver type" (iterative | direct) in the current
    /// (field's) subsection; only fields whose solves honour it (through
    /// solve_linear()) declare it.
    static void declare_method(dealii::ParameterHandler &prm);
    /// Reads "Linear solver type" (declared by declare_method()).
    void parse_method(const dealii::ParameterHandler &prm);
  };

  /// What a linear solve did: iterations and wall-clock times (s).
  struct SolverReport
  {
    unsigned int iterations        = 0; ///< CG iterations (-), or Newton iterations of a nonlinear solve
    unsigned int linear_iterations = 0; ///< nonlinear solves: linear (GMRES) iterations of all Newton steps (-)
    double       amg_setup_time    = 0; ///< preconditioner set-up (s)
    double       solve_time        = 0; ///< CG iterations (s)
    unsigned int factorisations    = 0; ///< sparse direct solves: numeric factorisations made (-), 0 on kept factors
  };

  /// Algebraic multigrid: ML (default), BoomerAMG or GAMG through PETSc, or
  /// ML through Trilinos; for systems with a user near-null space.
  class AMGPreconditioner
  {
  public:
    AMGPreconditioner();
    ~AMGPreconditioner();

    /// Sets up AMG for a scalar elliptic (Poisson-type) matrix.
    void initialize_scalar(const LA::MPI::SparseMatrix &matrix, const LinearSolverSettings &settings);

    /// Sets up AMG for a vector-valued matrix whose near-null space is spanned
    /// by @p near_null_space (for elasticity: the rigid-body modes).
    void initialize_system(const LA::MPI::SparseMatrix &matrix, const std::vector<LA::MPI::Vector> &near_null_space,
                           unsigned int block_size, const LinearSolverSettings &settings);

    /// Applies one V-cycle: dst = P^{-1} src.
    void vmult(LA::MPI::Vector &dst, const LA::MPI::Vector &src) const;

  private:
    struct Implementation;
    std::unique_ptr<Implementation> impl;
  };

  /// Block Gauss-Seidel preconditioner for coupled systems: the unknowns fall
  /// into blocks (e.g. concentration and potential), and one application
  /// solves the diagonal blocks in order, each by one AMG V-cycle, using the
  /// updated residual (PETSc's PCFIELDSPLIT, multiplicative). With the Trilinos
  /// backend it falls back to a sparse direct solve of the whole system.
  class BlockPreconditioner
  {
  public:
    BlockPreconditioner();
    ~BlockPreconditioner();

    /// Sets up the preconditioner of @p matrix; @p blocks are the locally
    /// owned DoFs of each block (together: all owned DoFs, in solve order).
    void initialize(const LA::MPI::SparseMatrix &matrix, const std::vector<dealii::IndexSet> &blocks,
                    const LinearSolverSettings &settings);

    /// Applies the preconditioner: dst = P^{-1} src.
    void vmult(LA::MPI::Vector &dst, const LA::MPI::Vector &src) const;

  private:
    struct Implementation;
    std::unique_ptr<Implementation> impl;
  };

  /// Solves A x = b by right-preconditioned GMRES (restarted every
  /// max_iterations) with @p preconditioner; throws std::runtime_error naming
  /// @p what if GMRES does not converge.
  SolverReport solve_gmres(const LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &solution, const LA::MPI::Vector &rhs,
                           const BlockPreconditioner &preconditioner, const LinearSolverSettings &settings,
                           const std::string &what);

  /// Solves A x = b by CG with @p preconditioner; throws std::runtime_error
  /// naming @p what if CG does not converge.
  SolverReport solve_cg(const LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &solution, const LA::MPI::Vector &rhs,
                        const AMGPreconditioner &preconditioner, const LinearSolverSettings &settings,
                        const std::string &what);

  /// Solves A x = b by CG with algebraic multigrid set up here from
  /// @p settings: for a scalar matrix if @p near_null_space is empty, else for
  /// a system of @p block_size components with that near-null space. A solve
  /// that fails (no convergence, or a V-cycle that breaks down with a NaN) is
  /// repeated once from the same initial guess with a more robust method:
  /// BoomerAMG after ML or GAMG (PETSc), a sparse direct solve after ML
  /// (Trilinos). Throws std::runtime_error naming @p what if that fails too,
  /// or at once if BoomerAMG itself failed.
  SolverReport solve_cg_with_amg(const LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &solution,
                                 const LA::MPI::Vector &rhs, const LinearSolverSettings &settings,
                                 const std::string &what, const std::vector<LA::MPI::Vector> &near_null_space = {},
                                 unsigned int block_size = 1);

  /// Solves A x = b by a sparse direct method (MUMPS through PETSc, Amesos
  /// with Trilinos).
  void solve_direct(const LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &x, const LA::MPI::Vector &b);

  /// A sparse LU solver (MUMPS through PETSc) that keeps its factorisation
  /// between solves: a solve with an unchanged matrix is only a forward and
  /// backward substitution, and a matrix whose values changed on the same
  /// pattern is factorised again numerically, without a new analysis (PETSc
  /// tracks the matrix's state). For the many solves of a staggered coupling
  /// on 2D meshes of up to some 10^5 DoFs, where it beats CG with AMG on
  /// strongly contrasting (cracked) matrices. With the Trilinos backend every
  /// solve factorises anew (Amesos). A failed solve throws on every rank.
  class DirectSolver
  {
  public:
    DirectSolver();
    ~DirectSolver();
    /// Solves A x = b; throws std::runtime_error naming @p what if the
    /// factorisation fails (a singular matrix).
    SolverReport solve(const LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &x, const LA::MPI::Vector &b,
                       const std::string &what);
    /// Forgets the factorisation (and the reference to its matrix).
    void clear();
    /// Numeric factorisations made so far (-): one per solve whose matrix
    /// changed since the last one.
    unsigned int n_factorisations() const;

  private:
    /// The solve itself; throws on a failed factorisation.
    void solve_kept(const LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &x, const LA::MPI::Vector &b);

    struct Implementation;
    std::unique_ptr<Implementation> impl;
  };

  /// Solves A x = b by the method of @p settings: CG with AMG as
  /// solve_cg_with_amg() does (with @p near_null_space and @p block_size),
  /// or @p direct for Linear solver type = direct.
  SolverReport solve_linear(const LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &solution, const LA::MPI::Vector &rhs,
                            const LinearSolverSettings &settings, const std::string &what, DirectSolver &direct,
                            const std::vector<LA::MPI::Vector> &near_null_space = {}, unsigned int block_size = 1);

  /// Adds the cell matrix @p local (rows and columns @p indices) to @p matrix
  /// and the cell vector @p local_rhs to @p rhs, honouring @p constraints.
  /// Cells without constrained DoFs take one backend call per cell instead of
  /// deal.II's row-by-row path (which dominates the assembly of coupled
  /// systems); cells with constraints go through
  /// AffineConstraints::distribute_local_to_global.
  void add_cell_contribution(const dealii::AffineConstraints<double> &constraints,
                             const dealii::FullMatrix<double> &local, const dealii::Vector<double> &local_rhs,
                             const std::vector<dealii::types::global_dof_index> &indices, LA::MPI::SparseMatrix &matrix,
                             LA::MPI::Vector &rhs);

  /// Symmetric diagonal (Jacobi) scaling: A <- D A D, b <- D b with
  /// D = diag(A)^{-1/2}; returns D so that the solution is x = D y. This makes
  /// AMG's strength of connection and CG's stopping test blind to the
  /// 10^7..10^9 conductivity contrasts between metals and electrolytes.
  LA::MPI::Vector scale_symmetrically(LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &rhs);

  /// Scales A <- D A D and b <- D b with a given positive @p scaling D (owned entries).
  void scale_symmetrically(LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &rhs, const LA::MPI::Vector &scaling);

  /// CG with one algebraic multigrid for a sequence of similar scalar
  /// matrices, such as the Newton Jacobians of a nonlinear boundary condition
  /// (a fixed bulk plus a few boundary terms): the symmetric scaling D is set
  /// up on the first matrix and kept; the AMG object is kept too, and set up
  /// anew after a solve that failed with it or needed more than twice the CG
  /// iterations of its first solve (plus 5). With the PETSc backend PETSc
  /// itself sets the preconditioner up again when its matrix has changed
  /// (PCSetUp), so there only the Trilinos backend saves the set-up.
  class ReusableAMGSolver
  {
  public:
    ReusableAMGSolver();
    ~ReusableAMGSolver();
    /// Solves A x = b; @p matrix and @p rhs are scaled in place (D A D, D b).
    /// A failure with a fresh AMG falls back as solve_cg_with_amg() does.
    SolverReport solve(LA::MPI::SparseMatrix &matrix, LA::MPI::Vector &solution, LA::MPI::Vector &rhs,
                       const LinearSolverSettings &settings, const std::string &what);
    /// Forgets the AMG: the next solve sets it up anew (after the matrices changed beyond a few terms).
    void clear();

  private:
    std::unique_ptr<AMGPreconditioner> amg;                  ///< set up on the scaled first matrix
    LA::MPI::Vector                    scaling;              ///< D of that matrix
    unsigned int                       first_iterations = 0; ///< CG iterations of the first solve with amg
  };

  /// Rigid-body modes (translations and rotations: 3 in 2D, 6 in 3D) of a
  /// dim-component displacement field, orthonormalised, on the owned DoFs.
  template <int dim>
  std::vector<LA::MPI::Vector> rigid_body_modes(const dealii::DoFHandler<dim> &dof_handler, MPI_Comm communicator);
} // namespace dendra
