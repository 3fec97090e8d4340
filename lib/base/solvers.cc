#include <dendra/base/parameters.h>
#include <dendra/base/solvers.h>

#include <deal.II/base/quadrature.h>
#include <deal.II/base/timer.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/solver_cg.h>
#include <deal.II/lac/solver_control.h>

#ifdef DENDRA_USE_TRILINOS
#  include <deal.II/lac/trilinos_precondition.h>

#  include <Epetra_MultiVector.h>
#  include <Teuchos_ParameterList.hpp>
#else
#  include <deal.II/lac/petsc_precondition.h>

#  include <petscpc.h>
#endif

#include <cmath>
#include <sstream>

namespace dendra
{
  using namespace dealii;

  void LinearSolverSettings::declare_parameters(ParameterHandler &prm)
  {
    declare_parameters(prm, LinearSolverSettings());
  }

  void LinearSolverSettings::declare_parameters(ParameterHandler &prm, const LinearSolverSettings &defaults)
  {
    prm.declare_entry("Relative tolerance", format_number(defaults.relative_tolerance),
                      Patterns::Double(1e-16, 1.0),
                      "CG stops when the (scaled) residual has dropped by this factor (-), in (0, 1].");
    prm.declare_entry("Maximum iterations", std::to_string(defaults.max_iterations),
                      Patterns::Integer(1), "CG iteration limit (-).");
    prm.declare_entry("AMG strong threshold", format_number(defaults.strong_threshold),
                      Patterns::Double(0.0, 1.0),
                      "AMG strength-of-connection threshold (-), in [0, 1]: BoomerAMG strong "
                      "threshold (0.25 for 2D, 0.5-0.7 for 3D) or GAMG drop tolerance / 10.");
    prm.declare_entry("AMG aggressive coarsening levels", std::to_string(defaults.aggressive_coarsening_levels),
                      Patterns::Integer(0, 10), "Levels of aggressive coarsening in BoomerAMG (-).");
    prm.declare_entry("AMG smoother sweeps", std::to_string(defaults.smoother_sweeps),
                      Patterns::Integer(1, 10), "Smoothing steps per AMG level (-).");
  }

  void LinearSolverSettings::parse_parameters(const ParameterHandler &prm)
  {
    relative_tolerance           = prm.get_double("Relative tolerance");
    max_iterations               = prm.get_integer("Maximum iterations");
    strong_threshold             = prm.get_double("AMG strong threshold");
    aggressive_coarsening_levels = prm.get_integer("AMG aggressive coarsening levels");
    smoother_sweeps              = prm.get_integer("AMG smoother sweeps");
  }

#ifdef DENDRA_USE_TRILINOS
  struct AMGPreconditioner::Implementation
  {
    TrilinosWrappers::PreconditionAMG amg;
  };
#else
  namespace
  {
    /// PETSc's smoothed-aggregation AMG (GAMG) with a user near-null space;
    /// deal.II 9.4 has no wrapper for it.
    class PreconditionGAMG : public PETScWrappers::PreconditionBase
    {
    public:
      void initialize(const PETScWrappers::MatrixBase &   system_matrix,
                      const std::vector<LA::MPI::Vector> &near_null_space,
                      const unsigned int                  block_size,
                      const LinearSolverSettings &        settings)
      {
        clear();
        matrix = static_cast<Mat>(system_matrix);
        PetscErrorCode ierr;
        if (block_size > 1)
          {
            // Aggregate the components of a node together.
            ierr = MatSetBlockSize(matrix, block_size);
            AssertThrow(ierr == 0, ExcPETScError(ierr));
          }
        std::vector<Vec> vectors;
        for (const auto &v : near_null_space)
          vectors.push_back(static_cast<const Vec &>(v));
        MatNullSpace null_space;
        ierr = MatNullSpaceCreate(system_matrix.get_mpi_communicator(), PETSC_FALSE, vectors.size(),
                                  vectors.data(), &null_space);
        AssertThrow(ierr == 0, ExcPETScError(ierr));
        ierr = MatSetNearNullSpace(matrix, null_space);
        AssertThrow(ierr == 0, ExcPETScError(ierr));
        MatNullSpaceDestroy(&null_space);

        create_pc();
        ierr = PCSetType(pc, PCGAMG);
        AssertThrow(ierr == 0, ExcPETScError(ierr));
        // Options with a private prefix, so that the user can still override
        // them on the PETSc command line (-dendra_gamg_...).
        ierr = PCSetOptionsPrefix(pc, "dendra_gamg_");
        AssertThrow(ierr == 0, ExcPETScError(ierr));
        const std::string threshold = std::to_string(settings.strong_threshold / 10.);
        const std::string sweeps    = std::to_string(settings.smoother_sweeps);
        PetscOptionsSetValue(nullptr, "-dendra_gamg_pc_gamg_threshold", threshold.c_str());
        PetscOptionsSetValue(nullptr, "-dendra_gamg_mg_levels_ksp_max_it", sweeps.c_str());
        PetscOptionsSetValue(nullptr, "-dendra_gamg_pc_gamg_square_graph", "1");
        ierr = PCSetFromOptions(pc);
        AssertThrow(ierr == 0, ExcPETScError(ierr));
        ierr = PCSetUp(pc);
        AssertThrow(ierr == 0, ExcPETScError(ierr));
      }
    };
  } // namespace

  struct AMGPreconditioner::Implementation
  {
    PETScWrappers::PreconditionBoomerAMG boomer;
    PreconditionGAMG                     gamg;
    bool                                 use_gamg = false;
  };
#endif

  AMGPreconditioner::AMGPreconditioner()
    : impl(std::make_unique<Implementation>())
  {}

  AMGPreconditioner::~AMGPreconditioner() = default;

  void AMGPreconditioner::initialize_scalar(const LA::MPI::SparseMatrix &matrix,
                                            const LinearSolverSettings & settings)
  {
#ifdef DENDRA_USE_TRILINOS
    TrilinosWrappers::PreconditionAMG::AdditionalData data;
    data.elliptic              = true;
    data.aggregation_threshold = 1e-4;
    data.smoother_sweeps       = settings.smoother_sweeps;
    impl->amg.initialize(matrix, data);
#else
    PETScWrappers::PreconditionBoomerAMG::AdditionalData data;
    data.symmetric_operator               = true;
    data.strong_threshold                 = settings.strong_threshold;
    data.aggressive_coarsening_num_levels = settings.aggressive_coarsening_levels;
    impl->boomer.initialize(matrix, data);
    impl->use_gamg = false;
#endif
  }

  void AMGPreconditioner::initialize_system(const LA::MPI::SparseMatrix &         matrix,
                                            const std::vector<LA::MPI::Vector> &near_null_space,
                                            const unsigned int                  block_size,
                                            const LinearSolverSettings &        settings)
  {
#ifdef DENDRA_USE_TRILINOS
    (void)block_size;
    TrilinosWrappers::PreconditionAMG::AdditionalData data;
    data.elliptic              = true;
    data.aggregation_threshold = settings.strong_threshold / 10.;
    data.smoother_sweeps       = settings.smoother_sweeps;
    Teuchos::ParameterList              list;
    std::unique_ptr<Epetra_MultiVector> unused_modes;
    data.set_parameters(list, unused_modes, matrix);
    // Hand ML the full near-null space (deal.II 9.4 passes translations only).
    const Epetra_Map & map = matrix.trilinos_matrix().DomainMap();
    Epetra_MultiVector modes(map, near_null_space.size());
    for (unsigned int m = 0; m < near_null_space.size(); ++m)
      for (int i = 0; i < map.NumMyElements(); ++i)
        modes[m][i] = (*near_null_space[m].trilinos_vector()(0))[i];
    list.set("null space: type", "pre-computed");
    list.set("null space: dimension", static_cast<int>(near_null_space.size()));
    list.set("null space: vectors", modes.Values());
    impl->amg.initialize(matrix, list);
#else
    impl->gamg.initialize(matrix, near_null_space, block_size, settings);
    impl->use_gamg = true;
#endif
  }

  void AMGPreconditioner::vmult(LA::MPI::Vector &dst, const LA::MPI::Vector &src) const
  {
#ifdef DENDRA_USE_TRILINOS
    impl->amg.vmult(dst, src);
#else
    if (impl->use_gamg)
      impl->gamg.vmult(dst, src);
    else
      impl->boomer.vmult(dst, src);
#endif
  }

  SolverReport solve_cg(const LA::MPI::SparseMatrix &matrix,
                        LA::MPI::Vector &            solution,
                        const LA::MPI::Vector &      rhs,
                        const AMGPreconditioner &    preconditioner,
                        const LinearSolverSettings & settings,
                        const std::string &          what)
  {
    SolverReport report;
    Timer        timer;
    const double rhs_norm = rhs.l2_norm();
    if (rhs_norm == 0.0)
      {
        solution = 0;
        return report;
      }
    SolverControl control(settings.max_iterations, settings.relative_tolerance * rhs_norm);
    SolverCG<LA::MPI::Vector> cg(control);
    try
      {
        cg.solve(matrix, solution, rhs, preconditioner);
      }
    catch (const SolverControl::NoConvergence &e)
      {
        std::ostringstream message;
        message << what << ": CG did not converge in " << e.last_step << " iterations (residual "
                << e.last_residual / rhs_norm << " relative, target " << settings.relative_tolerance
                << ")";
        throw std::runtime_error(message.str());
      }
    report.iterations = control.last_step();
    report.solve_time = timer.wall_time();
    return report;
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
#ifdef DENDRA_USE_TRILINOS
    auto &              epetra = const_cast<Epetra_CrsMatrix &>(matrix.trilinos_matrix());
    const Epetra_Vector &d     = *scaling.trilinos_vector()(0);
    epetra.LeftScale(d);
    epetra.RightScale(d);
#else
    const Vec      d    = static_cast<const Vec &>(scaling);
    PetscErrorCode ierr = MatDiagonalScale(matrix.petsc_matrix(), d, d);
    AssertThrow(ierr == 0, ExcPETScError(ierr));
#endif
    rhs.scale(scaling);
    return scaling;
  }

  template <int dim>
  std::vector<LA::MPI::Vector> rigid_body_modes(const DoFHandler<dim> &dof_handler, MPI_Comm communicator)
  {
    const unsigned int n_modes = (dim == 2 ? 3 : 6);
    const IndexSet     owned   = dof_handler.locally_owned_dofs();
    std::vector<LA::MPI::Vector> modes(n_modes);
    for (auto &m : modes)
      m.reinit(owned, communicator);

    const FiniteElement<dim> &fe = dof_handler.get_fe();
    FEValues<dim> fe_values(fe, Quadrature<dim>(fe.get_unit_support_points()), update_quadrature_points);
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
                    const double rx[3] = {0, -p[dim - 1], p[1]};
                    const double ry[3] = {p[dim - 1], 0, -p[0]};
                    const double rz[3] = {-p[1], p[0], 0};
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
