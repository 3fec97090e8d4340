#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/fields/electrostatics.h>
#include <dendra/materials/material_library.h>

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/timer.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/numerics/vector_tools.h>

#include <sstream>

namespace dendra
{
  using namespace dealii;

  template <int dim>
  void Electrostatics<dim>::Parameters::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Electrostatics");
    prm.declare_entry("Polynomial degree", "1", Patterns::Integer(1, 4),
                      "Degree of the Lagrange elements for phi (-).");
    prm.declare_entry("Conductivity", "total", Patterns::Selection("electronic|ionic|total"),
                      "Material conductivity used as sigma: electronic (sigma_e), ionic (sigma_ion) or "
                      "their sum (total).");
    prm.declare_entry("Source", "0", Patterns::Anything(), "Volumetric current source f(x, y, z, t) (A/m^3).");
    prm.enter_subsection("Boundary conditions");
    prm.declare_entry("Potential", "electrode bottom: 0; electrolyte top: 1e-3", Patterns::Anything(),
                      "Dirichlet data 'b: phi; b: phi' with phi(x, y, z, t) in V; b is a boundary id or a "
                      "name of the geometry (e.g. 'electrode bottom', 'x min').");
    prm.declare_entry("Current density", "", Patterns::Anything(),
                      "Neumann data 'id: j; ...': current density flowing INTO the domain, sigma dphi/dn (A/m^2).");
    prm.declare_entry("Robin", "", Patterns::Anything(),
                      "Robin data 'id: h, phi_ref; ...': inward current h (phi_ref - phi), h in S/m^2, phi_ref in V.");
    prm.leave_subsection();
    prm.enter_subsection("Linear solver");
    LinearSolverSettings::declare_parameters(prm, Parameters().solver);
    prm.leave_subsection();
    prm.leave_subsection();
  }

  template <int dim>
  void Electrostatics<dim>::Parameters::parse_parameters(ParameterHandler &prm, const BoundaryNames &names)
  {
    prm.enter_subsection("Electrostatics");
    degree                 = prm.get_integer("Polynomial degree");
    const std::string kind = prm.get("Conductivity");
    conductivity           = (kind == "electronic" ? ConductivityKind::electronic
                              : kind == "ionic"    ? ConductivityKind::ionic
                                                   : ConductivityKind::total);
    source                 = parse_function<dim>({prm.get("Source")}, "Electrostatics/Source");
    prm.enter_subsection("Boundary conditions");
    const std::string where = "Electrostatics/Boundary conditions/";
    dirichlet               = parse_boundary_functions<dim>(prm.get("Potential"), 1, where + "Potential", names);
    current = parse_boundary_functions<dim>(prm.get("Current density"), 1, where + "Current density", names);
    robin   = parse_boundary_functions<dim>(prm.get("Robin"), 2, where + "Robin", names);
    prm.leave_subsection();
    prm.enter_subsection("Linear solver");
    solver.parse_parameters(prm);
    prm.leave_subsection();
    prm.leave_subsection();
  }

  template <int dim>
  Electrostatics<dim>::Electrostatics(const parallel::distributed::Triangulation<dim> &tria,
                                      const MaterialLibrary &materials, const Parameters &parameters)
    : Field<dim>(tria, std::make_unique<FE_Q<dim>>(parameters.degree))
    , materials(materials)
    , parameters(parameters)
  {
    require_input(!parameters.dirichlet.empty() || !parameters.robin.empty(),
                  "Electrostatics/Boundary conditions: name at least one Potential or Robin boundary; "
                  "with currents alone the potential is undetermined");
    for (const auto &[id, f] : parameters.dirichlet)
      require_input(parameters.current.count(id) == 0 && parameters.robin.count(id) == 0,
                    "Electrostatics/Boundary conditions: boundary " + std::to_string(id) +
                      " has a Potential and another condition");
    for (const auto &[id, f] : parameters.current)
      require_input(parameters.robin.count(id) == 0, "Electrostatics/Boundary conditions: boundary " +
                                                       std::to_string(id) +
                                                       " has a Current density and a Robin condition");
  }

  template <int dim>
  double Electrostatics<dim>::conductivity_of(const types::material_id id) const
  {
    const Material &m = materials.by_id(id);
    const double    sigma =
      (parameters.conductivity == ConductivityKind::electronic ? m.electronic_conductivity
       : parameters.conductivity == ConductivityKind::ionic    ? m.ionic_conductivity
                                                               : m.electronic_conductivity + m.ionic_conductivity);
    require_input(sigma > 0, "Electrostatics/Conductivity: material '" + m.name +
                               "' has zero conductivity of the chosen kind, so phi is undetermined there");
    return sigma;
  }

  template <int dim>
  void Electrostatics<dim>::read_quantities(QuantityRegistry<dim> &registry)
  {
    // The conductivity is damage-dependent: cracked electrolyte conducts g(d) sigma.
    degradation = registry.find(quantity_names::degradation, name());
  }

  template <int dim>
  CellEvaluator<dim> Electrostatics<dim>::make_degradation_evaluator(const Quadrature<dim> &quadrature) const
  {
    return degradation ? degradation->make_evaluator(quadrature) : CellEvaluator<dim>();
  }

  template <int dim>
  void Electrostatics<dim>::conductivities(const typename DoFHandler<dim>::active_cell_iterator &cell,
                                           const CellEvaluator<dim> &degradation_at, std::vector<double> &sigma) const
  {
    std::fill(sigma.begin(), sigma.end(), conductivity_of(cell->material_id()));
    if (!degradation_at)
      return;
    std::vector<Vector<double>> g;
    degradation_at(cell, g);
    for (unsigned int q = 0; q < sigma.size(); ++q)
      sigma[q] *= g[q][0];
  }

  template <int dim>
  void Electrostatics<dim>::setup_dofs()
  {
    const auto ids = triangulation.get_boundary_ids();
    for (const auto *bc : {&parameters.dirichlet, &parameters.current, &parameters.robin})
      for (const auto &[id, f] : *bc)
        require_input(std::find(ids.begin(), ids.end(), id) != ids.end(),
                      "Electrostatics/Boundary conditions: boundary id " + std::to_string(id) +
                        " does not exist in the mesh");
    Field<dim>::setup_dofs();
    hanging_constraints.clear();
    hanging_constraints.reinit(locally_relevant);
    DoFTools::make_hanging_node_constraints(dofs, hanging_constraints);
    hanging_constraints.close();
  }

  template <int dim>
  void Electrostatics<dim>::add_boundary_constraints(AffineConstraints<double> &c)
  {
    for (const auto &[id, function] : parameters.dirichlet)
      {
        function->set_time(time);
        VectorTools::interpolate_boundary_values(mapping, dofs, id, *function, c);
      }
  }

  namespace
  {
    /// Local matrix and right-hand side of one cell, shared by assembly and
    /// the reaction (boundary current) computation.
    template <int dim>
    void assemble_cell(const typename DoFHandler<dim>::active_cell_iterator &cell, const std::vector<double> &sigma,
                       const typename Electrostatics<dim>::Parameters &parameters, FEValues<dim> &fe_values,
                       FEFaceValues<dim> &face_values, FullMatrix<double> &cell_matrix, Vector<double> &cell_rhs)
    {
      const unsigned int n = cell_matrix.m();
      cell_matrix          = 0;
      cell_rhs             = 0;
      fe_values.reinit(cell);
      for (const unsigned int q : fe_values.quadrature_point_indices())
        {
          const double f  = parameters.source ? parameters.source->value(fe_values.quadrature_point(q)) : 0.0;
          const double dx = fe_values.JxW(q);
          for (unsigned int i = 0; i < n; ++i)
            {
              const auto grad_i = fe_values.shape_grad(i, q);
              for (unsigned int j = 0; j < n; ++j)
                cell_matrix(i, j) += sigma[q] * (grad_i * fe_values.shape_grad(j, q)) * dx;
              cell_rhs(i) += f * fe_values.shape_value(i, q) * dx;
            }
        }
      for (const unsigned int face : cell->face_indices())
        {
          if (!cell->at_boundary(face))
            continue;
          const auto id      = cell->face(face)->boundary_id();
          const auto current = parameters.current.find(id);
          const auto robin   = parameters.robin.find(id);
          if (current == parameters.current.end() && robin == parameters.robin.end())
            continue;
          face_values.reinit(cell, face);
          for (const unsigned int q : face_values.quadrature_point_indices())
            {
              const auto  &x  = face_values.quadrature_point(q);
              const double ds = face_values.JxW(q);
              double       g = 0, h = 0;
              if (current != parameters.current.end())
                g = current->second->value(x);
              else
                {
                  h = robin->second->value(x, 0);
                  g = h * robin->second->value(x, 1);
                }
              for (unsigned int i = 0; i < n; ++i)
                {
                  const double v_i = face_values.shape_value(i, q);
                  cell_rhs(i) += g * v_i * ds;
                  if (h != 0)
                    for (unsigned int j = 0; j < n; ++j)
                      cell_matrix(i, j) += h * v_i * face_values.shape_value(j, q) * ds;
                }
            }
        }
    }
  } // namespace

  template <int dim>
  void Electrostatics<dim>::assemble_system()
  {
    Timer timer;
    system_matrix = 0;
    system_rhs    = 0;
    for (auto *f : {parameters.source.get()})
      if (f)
        f->set_time(time);
    for (const auto *bc : {&parameters.current, &parameters.robin})
      for (const auto &[id, f] : *bc)
        f->set_time(time);

    const QGauss<dim>                    quadrature(fe->degree + 1);
    const QGauss<dim - 1>                face_quadrature(fe->degree + 1);
    FEValues<dim>                        fe_values(mapping, *fe, quadrature,
                                                   update_values | update_gradients | update_quadrature_points | update_JxW_values);
    FEFaceValues<dim>                    face_values(mapping, *fe, face_quadrature,
                                                     update_values | update_quadrature_points | update_JxW_values);
    const unsigned int                   n = fe->n_dofs_per_cell();
    FullMatrix<double>                   cell_matrix(n, n);
    Vector<double>                       cell_rhs(n);
    std::vector<types::global_dof_index> indices(n);
    std::vector<double>                  sigma(quadrature.size());
    const auto                           degradation_at = make_degradation_evaluator(quadrature);
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          conductivities(cell, degradation_at, sigma);
          assemble_cell<dim>(cell, sigma, parameters, fe_values, face_values, cell_matrix, cell_rhs);
          cell->get_dof_indices(indices);
          add_cell_contribution(constraints, cell_matrix, cell_rhs, indices, system_matrix, system_rhs);
        }
    system_matrix.compress(VectorOperation::add);
    system_rhs.compress(VectorOperation::add);
    last_assembly_time = timer.wall_time();
  }

  template <int dim>
  SolverReport Electrostatics<dim>::solve()
  {
    this->make_constraints(); // Dirichlet data may depend on time
    assemble_system();
    const LA::MPI::Vector scaling = scale_symmetrically(system_matrix, system_rhs);

    LA::MPI::Vector    scaled_solution(locally_owned, communicator);
    const SolverReport report =
      solve_cg_with_amg(system_matrix, scaled_solution, system_rhs, parameters.solver, "Electrostatics");

    scaled_solution.scale(scaling);
    constraints.distribute(scaled_solution);
    locally_relevant_solution = scaled_solution;
    last_report               = report;
    return report;
  }

  template <int dim>
  void Electrostatics<dim>::add_statistics(StatisticsTable &table, const BoundaryLabels &labels)
  {
    table.add_value("electrostatics_dofs", "", this->n_dofs());
    table.add_value("electrostatics_cg_iterations", "", last_report.iterations);
    for (const auto &[id, current] : boundary_currents())
      table.add_value("current_" + boundary_label(labels, id), dim == 2 ? "A/m" : "A", current);
  }

  template <int dim>
  std::string Electrostatics<dim>::summary(const BoundaryLabels &labels) const
  {
    std::ostringstream text;
    text << "Currents leaving through boundaries (" << (dim == 2 ? "A/m" : "A") << "):";
    for (const auto &[id, current] : boundary_currents())
      text << "  " << boundary_label(labels, id) << " " << current;
    return text.str();
  }

  template <int dim>
  std::map<types::boundary_id, double> Electrostatics<dim>::boundary_currents() const
  {
    const QGauss<dim>                    quadrature(fe->degree + 1);
    const QGauss<dim - 1>                face_quadrature(fe->degree + 1);
    FEValues<dim>                        fe_values(mapping, *fe, quadrature,
                                                   update_values | update_gradients | update_quadrature_points | update_JxW_values);
    FEFaceValues<dim>                    face_values(mapping, *fe, face_quadrature,
                                                     update_values | update_quadrature_points | update_JxW_values);
    const unsigned int                   n = fe->n_dofs_per_cell();
    FullMatrix<double>                   cell_matrix(n, n);
    Vector<double>                       cell_rhs(n), cell_phi(n), cell_residual(n);
    std::vector<types::global_dof_index> indices(n);
    std::vector<double>                  sigma(quadrature.size());
    const auto                           degradation_at = make_degradation_evaluator(quadrature);
    std::vector<double>                  phi_at_face(face_quadrature.size());

    // Residual of the unconstrained system: on Dirichlet DoFs it is the
    // inward current (reaction); hanging-node entries go to their masters.
    LA::MPI::Vector                      residual(locally_owned, communicator);
    std::map<types::boundary_id, double> local_currents;
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          conductivities(cell, degradation_at, sigma);
          assemble_cell<dim>(cell, sigma, parameters, fe_values, face_values, cell_matrix, cell_rhs);
          cell->get_dof_values(locally_relevant_solution, cell_phi);
          cell_matrix.vmult(cell_residual, cell_phi);
          cell_residual -= cell_rhs;
          cell->get_dof_indices(indices);
          hanging_constraints.distribute_local_to_global(cell_residual, indices, residual);

          for (const unsigned int face : cell->face_indices())
            if (cell->at_boundary(face))
              {
                const auto id      = cell->face(face)->boundary_id();
                const auto current = parameters.current.find(id);
                const auto robin   = parameters.robin.find(id);
                if (current == parameters.current.end() && robin == parameters.robin.end())
                  continue;
                face_values.reinit(cell, face);
                face_values.get_function_values(locally_relevant_solution, phi_at_face);
                for (const unsigned int q : face_values.quadrature_point_indices())
                  {
                    const auto  &x = face_values.quadrature_point(q);
                    const double inward =
                      (current != parameters.current.end())
                        ? current->second->value(x)
                        : robin->second->value(x, 0) * (robin->second->value(x, 1) - phi_at_face[q]);
                    local_currents[id] -= inward * face_values.JxW(q);
                  }
              }
        }
    residual.compress(VectorOperation::add);

    // Boundaries without a condition are insulated: exactly zero current.
    std::map<types::boundary_id, double> currents;
    for (const auto id : triangulation.get_boundary_ids())
      currents[id] = 0.0;
    for (const auto &[id, f] : parameters.current)
      currents[id] = Utilities::MPI::sum(local_currents[id], communicator);
    for (const auto &[id, f] : parameters.robin)
      currents[id] = Utilities::MPI::sum(local_currents[id], communicator);

    // A DoF shared by two Dirichlet boundaries counts for the lower id.
    IndexSet counted(dofs.n_dofs());
    for (const auto &[id, f] : parameters.dirichlet)
      {
        const IndexSet boundary_dofs = DoFTools::extract_boundary_dofs(dofs, ComponentMask(), {id});
        double         inward        = 0;
        for (const auto i : boundary_dofs)
          if (locally_owned.is_element(i) && !counted.is_element(i))
            {
              inward += residual(i);
              counted.add_index(i);
            }
        currents[id] = -Utilities::MPI::sum(inward, communicator);
      }
    return currents;
  }

  template <int dim>
  void Electrostatics<dim>::add_output(DataOut<dim> &data_out) const
  {
    data_out.add_data_vector(dofs, locally_relevant_solution, "potential");
  }

  template <int dim>
  std::string Electrostatics<dim>::progress() const
  {
    return "phi: " + std::to_string(this->n_dofs()) + " dofs, " + std::to_string(last_report.iterations) + " CG it";
  }

  template <int dim>
  FieldMaker<dim> Electrostatics<dim>::parse(ParameterHandler &prm, const FieldContext<dim> &context)
  {
    Parameters parameters;
    parameters.parse_parameters(prm, context.boundary_names);
    return [parameters, &context]() {
      return std::make_unique<Electrostatics<dim>>(context.triangulation, context.materials, parameters);
    };
  }

  DENDRA_REGISTER_FIELD(Electrostatics, "electrostatics", 40,
                        "steady charge conservation, div(sigma grad phi) = 0, with Butler-Volmer or Robin "
                        "electrodes; damage degrades the conductivity (subsection Electrostatics).")

  template class Electrostatics<2>;
  template class Electrostatics<3>;
} // namespace dendra
