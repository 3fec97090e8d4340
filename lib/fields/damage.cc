#include <dendra/base/exceptions.h>
#include <dendra/base/profile.h>
#include <dendra/fields/damage.h>
#include <dendra/materials/material_library.h>
#include <dendra/mesh/mesh_builder.h>

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/timer.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/full_matrix.h>

#include <algorithm>
#include <iomanip>
#include <istream>
#include <limits>
#include <ostream>

namespace dendra
{
  using namespace dealii;

  template <int dim>
  void Damage<dim>::Parameters::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Damage");
    prm.declare_entry("Model", "AT2", Patterns::Selection("AT2|AT1"),
                      "Crack surface density: AT2 (w = d^2, damage at any tensile energy) or AT1 (w = d, an "
                      "elastic range up to sigma_c = sqrt(3 G_c E / (8 l))).");
    prm.declare_entry("Residual stiffness", "1e-6", Patterns::Double(0, 1),
                      "k in the degradation g(d) = (1 - d)^2 + k (-), in [0, 1): what a broken material keeps.");
    prm.declare_entry("Viscosity", "0", Patterns::Double(0),
                      "eta in the viscous regularisation eta dd/dt (Pa s = J s/m^3; Miehe et al. 2010), >= 0: "
                      "damage relaxes over eta / (G_c / l) instead of jumping, which lets the staggered solve "
                      "converge while a crack runs; 0 is rate independent.");
    prm.declare_entry("Active set iterations", "50", Patterns::Integer(1),
                      "Limit of the primal-dual active-set iterations that keep d between its committed value and 1 (-).");
    prm.declare_entry("Pressure work", "true", Patterns::Bool(),
                      "With a pressurised Li filling (Plating/Li model = pressurised filling): the work of the Li "
                      "pressure p on the crack opening drives damage (the term p int chi u . grad q of the "
                      "energy's derivative); false leaves it out (the cracks then open only by the elastic energy).");
    prm.declare_entry("Mesh-corrected fracture energy", "false", Patterns::Bool(),
                      "Use G_c / (1 + 3 h / (8 l)) (AT1) or G_c / (1 + h / (2 l)) (AT2), h the cell's smallest edge "
                      "(m), so that the discrete crack dissipates the material's G_c (Bourdin et al. 2008).");
    LinearSolverSettings::declare_method(prm);
    prm.enter_subsection("Linear solver");
    LinearSolverSettings::declare_parameters(prm, LinearSolverSettings());
    prm.leave_subsection();
    prm.enter_subsection("Adaptive refinement");
    prm.declare_entry("Cells per length scale", "4", Patterns::Double(0),
                      "Adaptive meshes (Mesh refinement/Adaptation interval): where damage lives, cells are refined "
                      "to an edge of l / this (-), l the material's Damage length scale; 0 sets no targets.");
    prm.declare_entry("Damage threshold", "0.01", Patterns::Double(0, 1),
                      "Cells whose largest nodal damage exceeds this (-) are refined to the target.");
    prm.declare_entry("Tip energy fraction", "0.5", Patterns::Double(0),
                      "Cells whose tensile energy psi+ exceeds this fraction (-) of 3 G_c / (16 l), the energy at "
                      "which AT1 damage starts, are refined to the target too: the cells ahead of crack tips.");
    prm.declare_entry("Rings", "2", Patterns::Integer(0, 10),
                      "Rings of neighbour cells around those that get the target as well (-).");
    prm.leave_subsection();
    prm.leave_subsection();
  }

  template <int dim>
  void Damage<dim>::Parameters::parse_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Damage");
    model                 = prm.get("Model") == "AT1" ? Model::at1 : Model::at2;
    residual_stiffness    = prm.get_double("Residual stiffness");
    viscosity             = prm.get_double("Viscosity");
    active_set_iterations = prm.get_integer("Active set iterations");
    pressure_work         = prm.get_bool("Pressure work");
    mesh_corrected_energy = prm.get_bool("Mesh-corrected fracture energy");
    solver.parse_method(prm);
    prm.enter_subsection("Linear solver");
    solver.parse_parameters(prm);
    prm.leave_subsection();
    prm.enter_subsection("Adaptive refinement");
    refinement.cells_per_length    = prm.get_double("Cells per length scale");
    refinement.damage_threshold    = prm.get_double("Damage threshold");
    refinement.tip_energy_fraction = prm.get_double("Tip energy fraction");
    refinement.rings               = prm.get_integer("Rings");
    prm.leave_subsection();
    prm.leave_subsection();
  }

  template <int dim>
  void Damage<dim>::declare_parameters(ParameterHandler &prm)
  {
    Parameters::declare_parameters(prm);
    prm.enter_subsection("Failure");
    prm.declare_entry("Damage threshold", "0.95", Patterns::Double(0, 1),
                      "Damage runs: d (-) above which the electrolyte counts as cracked.");
    prm.declare_entry("Crack height fraction", "0.5", Patterns::Double(0, 1),
                      "The cell fails when cracked electrolyte reaches this fraction (-) of the electrolyte "
                      "thickness above the interface (the geometry's separator), in (0, 1].");
    prm.declare_entry("Counter electrode", "electrolyte top", Patterns::Anything(),
                      "Boundary (name or id) whose contact with cracked electrolyte fails the cell; empty: none.");
    prm.declare_entry("Near-interface band", "1e-6", Patterns::Double(0),
                      "Damage below this height above the interface (m) counts as near-interface "
                      "(column damage_near_interface_fraction).");
    prm.leave_subsection();
  }

  template <int dim>
  FieldMaker<dim> Damage<dim>::parse(ParameterHandler &prm, const FieldContext<dim> &context)
  {
    Parameters parameters;
    parameters.parse_parameters(prm);
    FailureCriterion failure;
    prm.enter_subsection("Failure");
    failure.damage_threshold  = prm.get_double("Damage threshold");
    failure.height_fraction   = prm.get_double("Crack height fraction");
    failure.interface_band    = prm.get_double("Near-interface band");
    const std::string counter = prm.get("Counter electrode");
    prm.leave_subsection();
    require_input(failure.height_fraction > 0,
                  "Failure/Crack height fraction = " + format_number(failure.height_fraction) + " must be > 0");
    if (!counter.empty())
      failure.counter_electrode =
        parse_boundary_map(counter + ": 0", "Failure/Counter electrode", context.boundary_names).begin()->first;
    failure.separator_thickness = context.geometry.separator_thickness();
    return [parameters, failure, &context]() {
      auto field = std::make_unique<Damage<dim>>(context.triangulation, context.materials, parameters);
      field->set_failure_criterion(failure);
      return field;
    };
  }

  template <int dim>
  Damage<dim>::Damage(const parallel::distributed::Triangulation<dim> &tria, const MaterialLibrary &materials,
                      const Parameters &parameters)
    : IrreversibleField<dim>(tria, std::make_unique<FE_Q<dim>>(1))
    , materials(materials)
    , parameters(parameters)
  {
    require_input(parameters.residual_stiffness >= 0 && parameters.residual_stiffness < 1,
                  "Damage/Residual stiffness = " + format_number(parameters.residual_stiffness) + " must be in [0, 1)");
    for (const auto &m : materials.all())
      if (m.fracture_energy > 0)
        {
          damageable_ids.insert(m.id);
          held_row_scale = std::max(held_row_scale, m.fracture_energy / m.damage_length);
        }
  }

  template <int dim>
  double Damage<dim>::degradation(const double d) const
  {
    const double intact = 1 - std::clamp(d, 0.0, 1.0);
    return intact * intact + parameters.residual_stiffness;
  }

  template <int dim>
  void Damage<dim>::set_initial_crack(const std::function<bool(const Point<dim> &)> &in_crack)
  {
    initial_crack = in_crack;
  }

  template <int dim>
  void Damage<dim>::add_boundary_constraints(AffineConstraints<double> &c)
  {
    // A notch is broken; DoFs that no damageable cell touches stay intact.
    if (initial_crack)
      for (const auto &cell : dofs.active_cell_iterators())
        if (cell->is_locally_owned() || cell->is_ghost())
          for (const unsigned int v : cell->vertex_indices())
            {
              const auto i = cell->vertex_dof_index(v, 0);
              if (!c.is_constrained(i) && initial_crack(cell->vertex(v)))
                {
                  c.add_line(i);
                  c.set_inhomogeneity(i, 1.0);
                }
            }
    this->constrain_outside([this](const auto &cell) { return damageable(cell->material_id()); }, c);
  }

  template <int dim>
  void Damage<dim>::provide_quantities(QuantityRegistry<dim> &registry) const
  {
    const auto held_at_zero = [this](const typename Triangulation<dim>::active_cell_iterator &cell, Vector<double> &d) {
      if (!damageable(cell->material_id()))
        d[0] = 0;
    };
    registry.provide(
      make_fe_quantity<dim>(quantity_names::damage, "-", name(), dofs, locally_relevant_solution, 0, 1, held_at_zero));
    const auto degrade = [this](const typename Triangulation<dim>::active_cell_iterator &cell, Vector<double> &g) {
      g[0] = damageable(cell->material_id()) ? degradation(g[0]) : 1.0;
    };
    registry.provide(
      make_fe_quantity<dim>(quantity_names::degradation, "-", name(), dofs, locally_relevant_solution, 0, 1, degrade));
    const auto zero_outside = [this](const typename Triangulation<dim>::active_cell_iterator &cell,
                                     Vector<double>                                          &gradient) {
      if (!damageable(cell->material_id()))
        gradient = 0;
    };
    registry.provide(make_fe_gradient_quantity<dim>(quantity_names::damage_gradient, "1/m", name(), dofs,
                                                    locally_relevant_solution, 0, 1, zero_outside));
  }

  template <int dim>
  void Damage<dim>::read_quantities(QuantityRegistry<dim> &registry)
  {
    driving_energy = &registry.require(quantity_names::tensile_energy, name());
    if (!parameters.pressure_work)
      return;
    li_pressure  = registry.find(quantity_names::li_pressure, name());
    li_crack     = li_pressure ? registry.find(quantity_names::li_crack, name()) : nullptr;
    displacement = li_crack ? &registry.require(quantity_names::displacement, name()) : nullptr;
  }

  template <int dim>
  void Damage<dim>::setup_dofs()
  {
    Field<dim>::setup_dofs();
    LA::MPI::Vector initial(locally_owned, communicator);
    constraints.distribute(initial);
    locally_relevant_solution = initial;
    lower_bound.reinit(locally_owned, locally_relevant, communicator);
    lower_bound         = initial;
    bound_before_commit = lower_bound;
    tensile_energy.clear(); // of no mesh yet
    active_set.reinit(locally_owned, communicator);
  }

  template <int dim>
  void Damage<dim>::setup_on_new_mesh()
  {
    Field<dim>::setup_dofs();
    active_set.reinit(locally_owned, communicator);
  }

  template <int dim>
  void Damage<dim>::evaluate_driving_energy(const Quadrature<dim> &quadrature)
  {
    const profile::Section section("driving energy: damage");
    Assert(driving_energy, ExcMessage("Damage needs read_quantities() before solve()."));
    const auto                  energy_at = driving_energy->make_evaluator(quadrature);
    std::vector<Vector<double>> values, pressure, crack, u;
    tensile_energy.assign(triangulation.n_active_cells(), {});
    pressure_load.assign(displacement ? triangulation.n_active_cells() : 0, {});
    CellEvaluator<dim> pressure_at, crack_at, displacement_at;
    if (displacement)
      {
        pressure_at     = li_pressure->make_evaluator(quadrature);
        crack_at        = li_crack->make_evaluator(quadrature);
        displacement_at = displacement->make_evaluator(quadrature);
      }
    for (const auto &cell : triangulation.active_cell_iterators())
      if (cell->is_locally_owned() && damageable(cell->material_id()))
        {
          energy_at(cell, values);
          auto &psi = tensile_energy[cell->active_cell_index()];
          psi.resize(values.size());
          for (unsigned int q = 0; q < values.size(); ++q)
            psi[q] = values[q][0];
          if (!displacement)
            continue;
          crack_at(cell, crack);
          if (crack[0][0] < 0.5) // chi is cell-wise
            continue;
          pressure_at(cell, pressure);
          displacement_at(cell, u);
          auto &load = pressure_load[cell->active_cell_index()];
          load.resize(u.size());
          for (unsigned int q = 0; q < u.size(); ++q)
            for (unsigned int k = 0; k < dim; ++k)
              load[q][k] = pressure[q][0] * u[q][k];
        }
  }

  template <int dim>
  double Damage<dim>::dissipation_excess(const typename DoFHandler<dim>::active_cell_iterator &cell,
                                         const double                                          l) const
  {
    const double h = cell->minimum_vertex_distance();
    return parameters.model == Model::at1 ? 3 * h / (8 * l) : h / (2 * l);
  }

  template <int dim>
  void Damage<dim>::cell_system(const typename DoFHandler<dim>::active_cell_iterator &cell, FEValues<dim> &fe_values,
                                FullMatrix<double> &matrix, Vector<double> &rhs) const
  {
    // AT2: (G_c / l + 2 psi+) d - G_c l lap d = 2 psi+;
    // AT1: 2 psi+ d - (3 / 4) G_c l lap d = 2 psi+ - 3 G_c / (8 l).
    const Material &m  = materials.by_id(cell->material_id());
    const double    l  = m.damage_length;
    const double    Gc = m.fracture_energy / (parameters.mesh_corrected_energy ? 1 + dissipation_excess(cell, l) : 1.0);
    const bool      at1           = parameters.model == Model::at1;
    const double    mass_term     = at1 ? 0.0 : Gc / l;
    const double    gradient_term = at1 ? 0.75 * Gc * l : Gc * l;
    const double    threshold     = at1 ? 3 * Gc / (8 * l) : 0.0;
    const auto     &psi           = tensile_energy[cell->active_cell_index()];
    const auto     *load          = pressure_load.empty() || pressure_load[cell->active_cell_index()].empty()
                                      ? nullptr
                                      : &pressure_load[cell->active_cell_index()];
    // Viscous regularisation: + eta / dt (d - d_n).
    const double rate = time_step > 0 ? parameters.viscosity / time_step : 0.0;
    fe_values.reinit(cell);
    std::vector<double> committed(fe_values.n_quadrature_points, 0.0);
    if (rate > 0)
      fe_values.get_function_values(lower_bound, committed);
    matrix = 0;
    rhs    = 0;
    for (const unsigned int q : fe_values.quadrature_point_indices())
      {
        const double dx = fe_values.JxW(q), driving = 2 * psi[q];
        for (unsigned int i = 0; i < matrix.m(); ++i)
          {
            const double v = fe_values.shape_value(i, q);
            // The reaction term is lumped (sum_j phi_j = 1): with it the
            // matrix is an M-matrix, for which the active set cannot cycle.
            matrix(i, i) += (mass_term + driving + rate) * v * dx;
            for (unsigned int j = 0; j < matrix.n(); ++j)
              matrix(i, j) += gradient_term * fe_values.shape_grad(i, q) * fe_values.shape_grad(j, q) * dx;
            rhs(i) += (driving - threshold + rate * committed[q]) * v * dx;
            // The pressure work: d/dd of p int chi u . grad d in direction phi_i.
            if (load)
              rhs(i) -= (*load)[q] * fe_values.shape_grad(i, q) * dx;
          }
      }
  }

  template <int dim>
  void Damage<dim>::assemble(const AffineConstraints<double> &with_constraints)
  {
    const profile::Section section("assembly: damage");
    system_matrix = 0;
    system_rhs    = 0;
    FEValues<dim>                        fe_values(mapping, *fe, QGauss<dim>(fe->degree + 1),
                                                   update_values | update_gradients | update_JxW_values);
    const unsigned int                   n = fe->n_dofs_per_cell();
    FullMatrix<double>                   cell_matrix(n, n);
    Vector<double>                       cell_rhs(n);
    std::vector<types::global_dof_index> indices(n);
    // Cells that cannot damage contribute only a diagonal to their DoFs held
    // at d = 0, on the scale of G_c / l, so that those rows are not empty.
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          cell->get_dof_indices(indices);
          if (damageable(cell->material_id()))
            cell_system(cell, fe_values, cell_matrix, cell_rhs);
          else
            {
              cell_matrix = 0;
              cell_rhs    = 0;
              for (unsigned int i = 0; i < n; ++i)
                if (with_constraints.is_constrained(indices[i]))
                  cell_matrix(i, i) = held_row_scale * cell->measure() / n;
            }
          add_cell_contribution(with_constraints, cell_matrix, cell_rhs, indices, system_matrix, system_rhs);
        }
    system_matrix.compress(VectorOperation::add);
    system_rhs.compress(VectorOperation::add);
  }

  template <int dim>
  LA::MPI::Vector Damage<dim>::bound_multiplier(const LA::MPI::Vector &d) const
  {
    // lambda = A d - b of the problem without bounds (hanging nodes condensed).
    FEValues<dim>                        fe_values(mapping, *fe, QGauss<dim>(fe->degree + 1),
                                                   update_values | update_gradients | update_JxW_values);
    const unsigned int                   n = fe->n_dofs_per_cell();
    FullMatrix<double>                   cell_matrix(n, n);
    Vector<double>                       cell_rhs(n), cell_d(n), cell_lambda(n);
    std::vector<types::global_dof_index> indices(n);
    LA::MPI::Vector                      lambda(locally_owned, communicator);
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned() && damageable(cell->material_id()))
        {
          cell_system(cell, fe_values, cell_matrix, cell_rhs);
          cell->get_dof_values(d, cell_d);
          cell_matrix.vmult(cell_lambda, cell_d);
          cell_lambda -= cell_rhs;
          cell->get_dof_indices(indices);
          constraints.distribute_local_to_global(cell_lambda, indices, lambda);
        }
    lambda.compress(VectorOperation::add);
    return lambda;
  }

  template <int dim>
  SolverReport Damage<dim>::solve()
  {
    // Primal-dual active set for min 1/2 d.A d - b.d subject to d_n <= d <= 1
    // (deal.II step-41): DoFs where a bound pushes (lambda = A d - b > 0 at
    // the lower, < 0 at the upper) are held at it, the others solved for,
    // until the sets stop changing. The upper bound matters where a source
    // that is not scaled by (1 - d), such as the Li pressure on crack faces,
    // drives the damage: unbounded it grows past 1 and the crack's opening
    // volume -int u.grad d with it.
    Timer        timer;
    SolverReport report;
    this->make_constraints();
    evaluate_driving_energy(QGauss<dim>(fe->degree + 1));
    LA::MPI::Vector d(locally_owned, communicator), start(locally_owned, communicator);
    LA::MPI::Vector ghosted(locally_owned, locally_relevant, communicator);
    LA::MPI::Vector active(locally_owned, communicator); // 0 free, 1 held at d_n, 2 held at the upper bound
    const auto      upper_bound = [&](const types::global_dof_index i) {
      return std::max(1.0, static_cast<double>(lower_bound[i])); // a state committed above 1 stays
    };
    d      = locally_relevant_solution;
    start  = d;
    active = active_set;
    for (unsigned int iteration = 0;; ++iteration)
      {
        AssertThrow(iteration < parameters.active_set_iterations,
                    ExcMessage("Damage: the active set did not settle in Damage/Active set iterations = " +
                               std::to_string(parameters.active_set_iterations) + " steps"));
        ghosted = active;
        AffineConstraints<double> bounded;
        bounded.reinit(locally_relevant);
        for (const auto i : locally_relevant)
          if (ghosted[i] > 0.5 && !constraints.is_constrained(i))
            {
              bounded.add_line(i);
              bounded.set_inhomogeneity(i, ghosted[i] > 1.5 ? upper_bound(i) : lower_bound[i]);
            }
        bounded.merge(constraints, AffineConstraints<double>::left_object_wins);
        bounded.close();
        assemble(bounded);
        report.iterations +=
          solve_linear(system_matrix, d, system_rhs, parameters.solver, "Damage", direct_solver).iterations;
        bounded.distribute(d);
        ghosted                      = d;
        const LA::MPI::Vector lambda = bound_multiplier(ghosted);
        // The active sets can cycle where the matrix is not an M-matrix (at
        // hanging nodes): after half the allowed steps a held DoF stays held
        // at its bound, so the sets only grow and the iteration ends within
        // the bounds everywhere.
        const bool   only_grow = iteration >= parameters.active_set_iterations / 2;
        unsigned int changed   = 0;
        for (const auto i : locally_owned)
          {
            double now = 0;
            if (!constraints.is_constrained(i))
              {
                const double c = system_matrix.diag_element(i);
                if (lambda[i] + (lower_bound[i] - d[i]) * c > 0)
                  now = 1;
                else if (lambda[i] + (upper_bound(i) - d[i]) * c < 0)
                  now = 2;
              }
            if (only_grow && active[i] > 0.5)
              now = active[i];
            changed += (now != active[i]);
            active[i] = now;
          }
        active.compress(VectorOperation::insert);
        if (Utilities::MPI::sum(changed, communicator) == 0)
          break;
      }
    active_set = active;
    LA::MPI::Vector difference(d);
    difference -= start;
    change                    = difference.linfty_norm();
    locally_relevant_solution = d;
    report.solve_time         = timer.wall_time();
    return report;
  }

  template <int dim>
  void Damage<dim>::commit()
  {
    bound_before_commit = lower_bound;
    lower_bound         = locally_relevant_solution;
    active_set          = 0; // each step starts from the same guess, also after a resume
  }

  template <int dim>
  void Damage<dim>::reset()
  {
    locally_relevant_solution = lower_bound;
    active_set                = 0;
  }

  template <int dim>
  void Damage<dim>::undo_commit()
  {
    lower_bound = bound_before_commit;
    reset();
  }

  template <int dim>
  bool Damage<dim>::cell_size_targets(Vector<float> &targets) const
  {
    const auto &wanted = parameters.refinement;
    if (wanted.cells_per_length <= 0)
      return false;
    targets.reinit(triangulation.n_active_cells());
    // psi+ of the last solve, if it was on this mesh.
    const bool with_energy = tensile_energy.size() == triangulation.n_active_cells();
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned() && damageable(cell->material_id()))
        {
          const Material &m       = materials.by_id(cell->material_id());
          double          largest = 0;
          for (const unsigned int v : cell->vertex_indices())
            largest = std::max(largest, locally_relevant_solution(cell->vertex_dof_index(v, 0)));
          bool loaded = false;
          if (with_energy)
            for (const double psi : tensile_energy[cell->active_cell_index()])
              loaded |= psi > wanted.tip_energy_fraction * 3 * m.fracture_energy / (16 * m.damage_length);
          if (largest > wanted.damage_threshold || loaded)
            targets(cell->active_cell_index()) = m.damage_length / wanted.cells_per_length;
        }
    spread_to_neighbours<dim>(triangulation, targets, wanted.rings);
    return true;
  }

  template <int dim>
  double Damage<dim>::damaged_measure(const double threshold) const
  {
    return damaged_region(threshold).measure;
  }

  template <int dim>
  typename Damage<dim>::Region Damage<dim>::damaged_region(const double threshold, const double band) const
  {
    const QGauss<dim> quadrature(fe->degree + 1);
    FEValues<dim>     fe_values(mapping, *fe, quadrature, update_values | update_quadrature_points | update_JxW_values);
    std::vector<double> d(quadrature.size());
    Region              region;
    double              moment = 0;
    region.top                 = -std::numeric_limits<double>::max();
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned() && damageable(cell->material_id()))
        {
          fe_values.reinit(cell);
          fe_values.get_function_values(locally_relevant_solution, d);
          for (const unsigned int q : fe_values.quadrature_point_indices())
            if (d[q] > threshold)
              {
                const double height = fe_values.quadrature_point(q)[dim - 1], dx = fe_values.JxW(q);
                region.measure += dx;
                region.measure_below_band += (height < band ? dx : 0.0);
                moment += height * dx;
                region.top = std::max(region.top, height);
              }
        }
    region.measure            = Utilities::MPI::sum(region.measure, communicator);
    region.measure_below_band = Utilities::MPI::sum(region.measure_below_band, communicator);
    moment                    = Utilities::MPI::sum(moment, communicator);
    region.top                = Utilities::MPI::max(region.top, communicator);
    region.centroid_height    = region.measure > 0 ? moment / region.measure : 0.0;
    if (region.measure == 0)
      region.top = 0;
    return region;
  }

  template <int dim>
  Vector<float> Damage<dim>::cell_damage() const
  {
    const QGauss<dim>   quadrature(fe->degree + 1);
    FEValues<dim>       fe_values(mapping, *fe, quadrature, update_values | update_JxW_values);
    std::vector<double> d(quadrature.size());
    Vector<float>       mean(triangulation.n_active_cells());
    for (const auto &cell : dofs.active_cell_iterators())
      if (!cell->is_artificial())
        {
          fe_values.reinit(cell);
          fe_values.get_function_values(locally_relevant_solution, d);
          double integral = 0;
          for (const unsigned int q : fe_values.quadrature_point_indices())
            integral += d[q] * fe_values.JxW(q);
          mean[cell->active_cell_index()] = integral / cell->measure();
        }
    return mean;
  }

  template <int dim>
  void Damage<dim>::add_output(DataOut<dim> &data_out) const
  {
    data_out.add_data_vector(dofs, locally_relevant_solution, "damage");
  }

  template <int dim>
  std::vector<const LA::MPI::Vector *> Damage<dim>::state_vectors() const
  {
    return {&locally_relevant_solution, &lower_bound, &bound_before_commit};
  }

  template <int dim>
  void Damage<dim>::restore_state(std::vector<LA::MPI::Vector> &state, typename Field<dim>::StateSource)
  {
    locally_relevant_solution = state[0];
    lower_bound.reinit(locally_owned, locally_relevant, communicator);
    lower_bound = state[1];
    bound_before_commit.reinit(locally_owned, locally_relevant, communicator);
    bound_before_commit = state[2];
    tensile_energy.clear(); // of the old mesh
  }

  template <int dim>
  bool Damage<dim>::meets_failure_criterion() const
  {
    const auto region = damaged_region(failure.damage_threshold);
    if (failure.separator_thickness > 0 && region.measure > 0 &&
        region.top >= failure.height_fraction * failure.separator_thickness)
      return true;
    if (failure.counter_electrode == numbers::invalid_boundary_id)
      return false;
    const Vector<float> damage_of_cell = cell_damage();
    bool                contact        = false;
    for (const auto &cell : triangulation.active_cell_iterators())
      if (cell->is_locally_owned() && cell->at_boundary() &&
          damage_of_cell[cell->active_cell_index()] >= failure.damage_threshold)
        for (const unsigned int f : cell->face_indices())
          contact |= cell->at_boundary(f) && cell->face(f)->boundary_id() == failure.counter_electrode;
    return Utilities::MPI::logical_or(contact, communicator);
  }

  template <int dim>
  std::string Damage<dim>::check_failure(double)
  {
    if (failed || !meets_failure_criterion())
      return "";
    failed = true;
    return "cracked electrolyte (d > " + format_number(failure.damage_threshold) +
           ") reaches the failure height or the counter electrode";
  }

  template <int dim>
  void Damage<dim>::add_statistics(StatisticsTable &s, const BoundaryLabels &)
  {
    s.add_value("damage_dofs", "", this->n_dofs());
    s.add_value("max_damage", "", locally_relevant_solution.linfty_norm());
    const auto region = damaged_region(failure.damage_threshold, failure.interface_band);
    Record     record;
    record.time               = this->time;
    record.damaged_measure    = region.measure;
    record.measure_below_band = region.measure_below_band;
    record.crack_top          = region.top;
    record.centroid_height    = region.centroid_height;
    record.failed             = failed;
    records.push_back(record);
    const auto unit = dim == 2 ? "m^2" : "m^3";
    s.add_value("damaged_" + std::string(dim == 2 ? "area" : "volume"), unit, record.damaged_measure);
    s.add_value("crack_top", "m", record.crack_top);
    s.add_value("damage_centroid_height", "m", record.centroid_height);
    s.add_value("damage_near_interface_fraction", "",
                record.damaged_measure > 0 ? record.measure_below_band / record.damaged_measure : 0.0);
    s.add_value("failed", "", record.failed ? 1 : 0);
  }

  template <int dim>
  std::string Damage<dim>::progress() const
  {
    return "d: " + std::to_string(this->n_dofs()) + " dofs";
  }

  template <int dim>
  void Damage<dim>::save_state(std::ostream &out) const
  {
    Field<dim>::save_state(out);
    out << failed << ' ' << records.size() << '\n';
    for (const auto &r : records)
      out << r.time << ' ' << r.damaged_measure << ' ' << r.measure_below_band << ' ' << r.crack_top << ' '
          << r.centroid_height << ' ' << r.failed << '\n';
  }

  template <int dim>
  void Damage<dim>::load_state(std::istream &in)
  {
    Field<dim>::load_state(in);
    std::size_t n = 0;
    in >> failed >> n;
    records.resize(n);
    for (auto &r : records)
      in >> r.time >> r.damaged_measure >> r.measure_below_band >> r.crack_top >> r.centroid_height >> r.failed;
  }

  DENDRA_REGISTER_FIELD(Damage, "damage", 30,
                        "phase-field fracture of the materials with a Fracture energy (reads the tensile energy "
                        "of elasticity; subsections Damage and Failure).")

  template class Damage<2>;
  template class Damage<3>;
} // namespace dendra
