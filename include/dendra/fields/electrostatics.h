#pragma once

#include <dendra/base/linear_algebra.h>
#include <dendra/base/parameters.h>
#include <dendra/base/solvers.h>

#include <deal.II/base/function.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/distributed/solution_transfer.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/mapping_q.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/vector.h>
#include <deal.II/numerics/data_out.h>

#include <map>
#include <memory>

namespace dendra
{
  class MaterialLibrary;

  /// Charge conservation -div(sigma(x) grad phi) = f with sigma piecewise by
  /// material, and Dirichlet (V), current (Neumann, A/m^2) and Robin
  /// boundary conditions by boundary id. The assembled system is scaled
  /// symmetrically by its diagonal before the AMG-preconditioned CG solve, so
  /// that metal/electrolyte conductivity contrasts of 1e9 do not spoil the
  /// solve (see scale_symmetrically()).
  template <int dim>
  class Electrostatics
  {
  public:
    /// Which material conductivity enters sigma(x).
    enum class ConductivityKind
    {
      electronic,
      ionic,
      total
    };

    /// Equation data and numerical settings (subsection "Electrostatics").
    struct Parameters
    {
      unsigned int     degree       = 1;                        ///< polynomial degree of phi (-)
      ConductivityKind conductivity = ConductivityKind::total;  ///< sigma_e, sigma_ion or their sum
      std::shared_ptr<dealii::Function<dim>> source;            ///< f (A/m^3); null = 0
      /// Prescribed potential phi (V) by boundary id.
      std::map<dealii::types::boundary_id, std::shared_ptr<dealii::Function<dim>>> dirichlet;
      /// Current density flowing into the domain, sigma dphi/dn (A/m^2), by boundary id.
      std::map<dealii::types::boundary_id, std::shared_ptr<dealii::Function<dim>>> current;
      /// Robin data (component 0: conductance h in S/m^2, 1: reference potential in V):
      /// inward current = h (phi_ref - phi).
      std::map<dealii::types::boundary_id, std::shared_ptr<dealii::Function<dim>>> robin;
      LinearSolverSettings solver = scalar_solver_defaults(); ///< CG + AMG settings

      /// ML with a lighter prolongator damping (1.2) suits the scalar problem; see benchmarks/elliptic.
      static LinearSolverSettings scalar_solver_defaults()
      {
        LinearSolverSettings s;
        s.prolongator_damping = 1.2;
        // Residuals of metal rows weigh sqrt(sigma_metal / sigma_electrolyte) more in
        // current units: a tight tolerance keeps Dirichlet reactions accurate.
        s.relative_tolerance = 1e-12;
        return s;
      }

      /// Declares subsection "Electrostatics".
      static void declare_parameters(dealii::ParameterHandler &prm);
      /// Reads subsection "Electrostatics"; boundaries may be named by @p names.
      void parse_parameters(dealii::ParameterHandler &prm, const BoundaryNames &names = {});
    };

    /// A field on @p triangulation with materials from @p materials.
    Electrostatics(const dealii::parallel::distributed::Triangulation<dim> &triangulation,
                   const MaterialLibrary &materials, const Parameters &parameters);
    /// The field keeps a reference to the materials: temporaries are not allowed.
    Electrostatics(const dealii::parallel::distributed::Triangulation<dim> &, const MaterialLibrary &&,
               const Parameters &) = delete;

    /// Distributes DoFs, builds constraints and the sparsity pattern.
    void setup_dofs();
    /// Sets the time t (s) at which boundary data and sources are evaluated.
    void set_time(double time);
    /// Assembles and solves; returns iteration count and timings.
    SolverReport solve();

    /// Current leaving the domain through each boundary id (A in 3D, A/m in 2D):
    /// from the discrete reactions on Dirichlet boundaries (conservative) and
    /// from the data on current and Robin boundaries.
    std::map<dealii::types::boundary_id, double> boundary_currents() const;

    /// L2 error and H1 seminorm error against @p exact.
    std::pair<double, double> compute_errors(const dealii::Function<dim> &exact) const;

    /// Kelly error indicator per active cell.
    void estimate_error(dealii::Vector<float> &indicators) const;
    /// Adds phi to @p data_out.
    void add_output(dealii::DataOut<dim> &data_out) const;
    /// Stores the solution before the mesh changes.
    void prepare_for_transfer();
    /// Re-creates DoFs and interpolates the stored solution onto the new mesh.
    void finish_transfer();

    /// The potential, with ghost values (V).
    const LA::MPI::Vector &solution() const { return locally_relevant_solution; }
    /// The DoF handler of phi.
    const dealii::DoFHandler<dim> &dof_handler() const { return dofs; }
    /// The mapping used for this field.
    const dealii::Mapping<dim> &get_mapping() const { return mapping; }
    /// Number of unknowns.
    dealii::types::global_dof_index n_dofs() const { return dofs.n_dofs(); }
    /// Wall-clock seconds of the last setup_dofs() and assembly.
    double setup_time() const { return last_setup_time; }
    /// Wall-clock seconds of the last assembly.
    double assembly_time() const { return last_assembly_time; }

  private:
    void   assemble_system();
    double conductivity_of(dealii::types::material_id id) const;

    MPI_Comm                                                 communicator;
    const dealii::parallel::distributed::Triangulation<dim> &triangulation;
    const MaterialLibrary &                                  materials;
    Parameters                                               parameters;
    dealii::FE_Q<dim>                                        fe;
    dealii::MappingQ<dim>                                    mapping;
    dealii::DoFHandler<dim>                                  dofs;
    dealii::IndexSet                                         locally_owned, locally_relevant;
    dealii::AffineConstraints<double>                        constraints, hanging_constraints;
    LA::MPI::SparseMatrix                                    system_matrix;
    LA::MPI::Vector                                          system_rhs, locally_relevant_solution;
    std::unique_ptr<dealii::parallel::distributed::SolutionTransfer<dim, LA::MPI::Vector>> transfer;
    double time               = 0;
    double last_setup_time    = 0;
    double last_assembly_time = 0;
  };
} // namespace dendra
