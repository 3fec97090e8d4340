#include <dendra/fields/field.h>

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/timer.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/lac/sparsity_tools.h>
#include <deal.II/numerics/error_estimator.h>
#include <deal.II/numerics/vector_tools.h>

#include <iomanip>
#include <istream>
#include <ostream>
#include <stdexcept>

namespace dendra
{
  using namespace dealii;

  template <int dim>
  Field<dim>::Field(const parallel::distributed::Triangulation<dim> &tria, std::unique_ptr<FiniteElement<dim>> fe)
    : communicator(tria.get_communicator())
    , triangulation(tria)
    , fe(std::move(fe))
    , mapping(this->fe->degree)
    , dofs(tria)
  {}

  template <int dim>
  Field<dim>::~Field() = default;

  template <int dim>
  void Field<dim>::provide_quantities(QuantityRegistry<dim> &) const
  {}

  template <int dim>
  bool Field<dim>::cell_size_targets(Vector<float> &) const
  {
    return false;
  }

  template <int dim>
  bool Field<dim>::cells_to_keep_refined(Vector<float> &) const
  {
    return false;
  }

  template <int dim>
  void Field<dim>::add_statistics(StatisticsTable &, const BoundaryLabels &)
  {}

  template <int dim>
  std::string Field<dim>::progress() const
  {
    return "";
  }

  template <int dim>
  std::string Field<dim>::check_failure(double)
  {
    return "";
  }

  template <int dim>
  double boundary_measure(const parallel::distributed::Triangulation<dim> &triangulation, const types::boundary_id id)
  {
    double measure = 0;
    for (const auto &cell : triangulation.active_cell_iterators())
      if (cell->is_locally_owned())
        for (const unsigned int f : cell->face_indices())
          if (cell->at_boundary(f) && cell->face(f)->boundary_id() == id)
            measure += cell->face(f)->measure();
    return Utilities::MPI::sum(measure, triangulation.get_communicator());
  }

  template <int dim>
  std::string Field<dim>::summary(const BoundaryLabels &) const
  {
    return "";
  }

  template <int dim>
  std::vector<std::pair<std::string, std::string>> Field<dim>::probe_quantities() const
  {
    return {};
  }

  template <int dim>
  std::vector<std::vector<double>> Field<dim>::probe(const Probes<dim> &probes) const
  {
    return std::vector<std::vector<double>>(probes.points().size());
  }

  template <int dim>
  void Field<dim>::read_quantities(QuantityRegistry<dim> &)
  {}

  template <int dim>
  void Field<dim>::begin_newton_block()
  {
    throw std::logic_error("field '" + name() + "' has no Newton block");
  }

  template <int dim>
  void Field<dim>::newton_block_residual(LA::MPI::Vector &, bool)
  {
    throw std::logic_error("field '" + name() + "' has no Newton block");
  }

  template <int dim>
  void Field<dim>::newton_block_solve(const LA::MPI::Vector &, LA::MPI::Vector &)
  {
    throw std::logic_error("field '" + name() + "' has no Newton block");
  }

  template <int dim>
  void Field<dim>::set_solution(const LA::MPI::Vector &owned)
  {
    LA::MPI::Vector distributed(locally_owned, communicator);
    distributed = owned;
    constraints.distribute(distributed);
    locally_relevant_solution = distributed;
  }

  template <int dim>
  void Field<dim>::set_time(const double t)
  {
    time = t;
  }

  template <int dim>
  void Field<dim>::make_constraints()
  {
    constraints.clear();
    constraints.reinit(locally_relevant);
    DoFTools::make_hanging_node_constraints(dofs, constraints);
    add_boundary_constraints(constraints);
    constraints.close();
  }

  template <int dim>
  void Field<dim>::make_zero_constraints(AffineConstraints<double> &zero)
  {
    zero.clear();
    zero.reinit(locally_relevant);
    DoFTools::make_hanging_node_constraints(dofs, zero);
    add_boundary_constraints(zero);
    std::vector<types::global_dof_index> constrained;
    for (const auto &line : zero.get_lines())
      constrained.push_back(line.index);
    for (const auto i : constrained)
      zero.set_inhomogeneity(i, 0.0);
    zero.close();
  }

  template <int dim>
  void Field<dim>::constrain_outside(
    const std::function<bool(const typename DoFHandler<dim>::active_cell_iterator &)> &inside,
    AffineConstraints<double>                                                         &c) const
  {
    std::vector<types::global_dof_index> indices(fe->n_dofs_per_cell());
    std::vector<bool>                    touched(locally_relevant.n_elements(), false);
    for (const auto &cell : dofs.active_cell_iterators())
      if ((cell->is_locally_owned() || cell->is_ghost()) && inside(cell))
        {
          cell->get_dof_indices(indices);
          for (const auto i : indices)
            touched[locally_relevant.index_within_set(i)] = true;
        }
    // The masters of a touched hanging DoF carry its value (higher degrees: DoFs on an outside cell's face).
    for (const auto i : locally_relevant)
      if (touched[locally_relevant.index_within_set(i)] && c.is_constrained(i))
        for (const auto &[master, weight] : *c.get_constraint_entries(i))
          if (locally_relevant.is_element(master))
            touched[locally_relevant.index_within_set(master)] = true;
    for (const auto i : locally_relevant)
      if (!touched[locally_relevant.index_within_set(i)] && !c.is_constrained(i))
        c.add_line(i);
  }

  template <int dim>
  void Field<dim>::setup_dofs()
  {
    Timer timer;
    dofs.distribute_dofs(*fe);
    locally_owned = dofs.locally_owned_dofs();
    DoFTools::extract_locally_relevant_dofs(dofs, locally_relevant);
    make_constraints();

    DynamicSparsityPattern dsp(locally_relevant);
    DoFTools::make_sparsity_pattern(dofs, dsp, constraints, false);
    SparsityTools::distribute_sparsity_pattern(dsp, locally_owned, communicator, locally_relevant);
    system_matrix.reinit(locally_owned, locally_owned, dsp, communicator);
    system_rhs.reinit(locally_owned, communicator);
    locally_relevant_solution.reinit(locally_owned, locally_relevant, communicator);
    last_setup_time = timer.wall_time();
  }

  template <int dim>
  std::pair<double, double> Field<dim>::compute_errors(const Function<dim> &exact) const
  {
    Vector<float>     cell_errors(triangulation.n_active_cells());
    const QGauss<dim> quadrature(fe->degree + 2);
    VectorTools::integrate_difference(mapping, dofs, locally_relevant_solution, exact, cell_errors, quadrature,
                                      VectorTools::L2_norm);
    const double l2 = VectorTools::compute_global_error(triangulation, cell_errors, VectorTools::L2_norm);
    VectorTools::integrate_difference(mapping, dofs, locally_relevant_solution, exact, cell_errors, quadrature,
                                      VectorTools::H1_seminorm);
    const double h1 = VectorTools::compute_global_error(triangulation, cell_errors, VectorTools::H1_seminorm);
    return {l2, h1};
  }

  template <int dim>
  void Field<dim>::estimate_error(Vector<float> &indicators) const
  {
    indicators.reinit(triangulation.n_active_cells());
    KellyErrorEstimator<dim>::estimate(mapping, dofs, QGauss<dim - 1>(fe->degree + 1), {}, locally_relevant_solution,
                                       indicators);
  }

  template <int dim>
  std::vector<const LA::MPI::Vector *> Field<dim>::state_vectors() const
  {
    return {&locally_relevant_solution};
  }

  template <int dim>
  void Field<dim>::restore_state(std::vector<LA::MPI::Vector> &state, StateSource)
  {
    locally_relevant_solution = state[0];
  }

  template <int dim>
  void Field<dim>::prepare_for_transfer()
  {
    before_transfer();
    // Two statements: in a->f(g()) C++17 reads the pointer a before g() replaces it.
    const auto vectors = begin_state_transfer();
    transfer->prepare_for_coarsening_and_refinement(vectors);
  }

  template <int dim>
  void Field<dim>::finish_transfer()
  {
    finish_state_transfer([this](std::vector<LA::MPI::Vector *> &state) { transfer->interpolate(state); },
                          StateSource::mesh_change);
  }

  template <int dim>
  void Field<dim>::prepare_for_serialization()
  {
    // SolutionTransfer keeps pointers to the vectors until the triangulation is saved.
    const auto vectors = begin_state_transfer();
    transfer->prepare_for_serialization(vectors);
  }

  template <int dim>
  void Field<dim>::deserialize()
  {
    begin_state_transfer();
    finish_state_transfer([this](std::vector<LA::MPI::Vector *> &state) { transfer->deserialize(state); },
                          StateSource::checkpoint);
  }

  template <int dim>
  void Field<dim>::save_state(std::ostream &out) const
  {
    out << std::setprecision(17) << time << '\n';
  }

  template <int dim>
  void Field<dim>::load_state(std::istream &in)
  {
    in >> time;
  }

  template <int dim>
  std::vector<const LA::MPI::Vector *> Field<dim>::begin_state_transfer()
  {
    const auto vectors = state_vectors();
    n_state_vectors    = vectors.size();
    transfer           = std::make_unique<parallel::distributed::SolutionTransfer<dim, LA::MPI::Vector>>(dofs);
    return vectors;
  }

  template <int dim>
  void Field<dim>::finish_state_transfer(const std::function<void(std::vector<LA::MPI::Vector *> &)> &read,
                                         const StateSource                                            source)
  {
    setup_on_new_mesh();
    std::vector<LA::MPI::Vector>   state(n_state_vectors);
    std::vector<LA::MPI::Vector *> pointers;
    for (auto &v : state)
      {
        v.reinit(locally_owned, communicator);
        pointers.push_back(&v);
      }
    read(pointers);
    transfer.reset();
    // Interpolated states get consistent hanging nodes; a checkpoint's are
    // used exactly as saved (distribute() again would change them by round-off).
    if (source == StateSource::mesh_change)
      for (auto &v : state)
        constraints.distribute(v);
    restore_state(state, source);
  }

  template double boundary_measure(const parallel::distributed::Triangulation<2> &, types::boundary_id);
  template double boundary_measure(const parallel::distributed::Triangulation<3> &, types::boundary_id);
  template class Field<2>;
  template class Field<3>;
} // namespace dendra
