#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/base/profile.h>
#include <dendra/core/current_program.h>
#include <dendra/fields/electrostatics.h>
#include <dendra/materials/material_library.h>

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/timer.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/numerics/data_postprocessor.h>
#include <deal.II/numerics/vector_tools.h>

#include <cmath>
#include <sstream>

namespace dendra
{
  using namespace dealii;

  namespace
  {
    /// The current density -sigma grad phi (A/m^2) with the conductivity of
    /// the cell (its damage degradation at the cell's centre).
    template <int dim>
    class CurrentDensity : public DataPostprocessorVector<dim>
    {
    public:
      using Conductivity = std::function<double(const typename DoFHandler<dim>::active_cell_iterator &)>;
      explicit CurrentDensity(const Conductivity &conductivity)
        : DataPostprocessorVector<dim>("current_density", update_gradients)
        , conductivity(conductivity)
      {}
      void evaluate_scalar_field(const DataPostprocessorInputs::Scalar<dim> &inputs,
                                 std::vector<Vector<double>>                &computed) const override
      {
        const double sigma = conductivity(inputs.template get_cell<dim>());
        for (unsigned int q = 0; q < computed.size(); ++q)
          for (unsigned int k = 0; k < dim; ++k)
            computed[q](k) = -sigma * inputs.solution_gradients[q][k];
      }

    private:
      Conductivity conductivity;
    };

  } // namespace

  template <int dim>
  void Electrostatics<dim>::Parameters::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Electrostatics");
    prm.declare_entry("Polynomial degree", "1", Patterns::Integer(1, 4),
                      "Degree of the Lagrange elements for phi (-).");
    prm.declare_entry("Conductivity", "total", Patterns::Selection("electronic|ionic|total"),
                      "Material conductivity used as sigma: electronic (sigma_e), ionic (sigma_ion) or "
                      "their sum (total).");
    prm.declare_entry("Domain", "all", Patterns::Selection("all|ionic conductors"),
                      "all: every cell; ionic conductors: only the cells whose material conducts ions "
                      "(Ionic conductivity > 0; needs Conductivity = ionic), the electrolyte of a single-ion "
                      "conductor such as LLZO. Its faces against Electrode kinetics/Electrode materials are "
                      "electrodes.");
    prm.declare_entry("Source", "0", Patterns::Anything(), "Volumetric current source f(x, y, z, t) (A/m^3).");
    prm.enter_subsection("Boundary conditions");
    prm.declare_entry("Potential", "electrode bottom: 0; electrolyte top: 1e-3", Patterns::Anything(),
                      "Dirichlet data 'b: phi; b: phi' with phi(x, y, z, t) in V; b is a boundary id or a "
                      "name of the geometry (e.g. 'electrode bottom', 'x min').");
    prm.declare_entry("Current density", "", Patterns::Anything(),
                      "Neumann data 'id: j; ...': current density flowing INTO the domain, sigma dphi/dn (A/m^2). "
                      "'b: program' follows Current program (needs its Working electrode): -i(t), the counter "
                      "electrode of a plating working electrode (Li+ enters there while Li plates).");
    prm.declare_entry("Robin", "", Patterns::Anything(),
                      "Robin data 'id: h, phi_ref; ...': inward current h (phi_ref - phi), h in S/m^2, phi_ref in V.");
    prm.leave_subsection();
    prm.enter_subsection("Electrode kinetics");
    prm.declare_entry("Electrode materials", "", Patterns::Anything(),
                      "Comma-separated metals at phi_s = 0 whose faces against the domain are electrodes with the "
                      "Kinetics below (e.g. 'Li metal'); empty: none.");
    prm.declare_entry("Electrode boundaries", "", Patterns::Anything(),
                      "Comma-separated boundaries (ids or names) that are such electrodes; empty: none.");
    prm.declare_entry("Interface pressure", "0", Patterns::Double(0),
                      "Li pressure p (Pa) of electrode faces outside a pressurised Li filling: eta = phi_s - phi - "
                      "U0 + Omega_Li p / F (0.135 mV per MPa).");
    prm.declare_entry("Crack faces", "true", Patterns::Bool(),
                      "The faces of Li-filled cracks are electrodes too, as the diffuse surface chi |grad d| "
                      "(both faces of a crack), at the Li pressure of the filling.");
    prm.declare_entry("Newton tolerance", "1e-10", Patterns::Double(0),
                      "Reduction of the residual (A) relative to the applied current (without one: to the "
                      "current of the Dirichlet data into a zero interior, else the first residual) that ends "
                      "the Newton iteration (-).");
    prm.declare_entry("Newton iterations", "30", Patterns::Integer(1), "Limit of Newton iterations (-).");
    ElectrodeKinetics::declare_parameters(prm, "7.6", "0");
    prm.leave_subsection();
    LinearSolverSettings::declare_method(prm);
    prm.enter_subsection("Linear solver");
    LinearSolverSettings::declare_parameters(prm, Parameters().solver);
    prm.leave_subsection();
    prm.leave_subsection();
  }

  template <int dim>
  void Electrostatics<dim>::Parameters::parse_parameters(ParameterHandler &prm, const BoundaryNames &names,
                                                         const double temperature)
  {
    prm.enter_subsection("Electrostatics");
    degree                 = prm.get_integer("Polynomial degree");
    const std::string kind = prm.get("Conductivity");
    conductivity           = (kind == "electronic" ? ConductivityKind::electronic
                              : kind == "ionic"    ? ConductivityKind::ionic
                                                   : ConductivityKind::total);
    source                 = parse_function<dim>({prm.get("Source")}, "Electrostatics/Source");
    electrolyte_only       = prm.get("Domain") == "ionic conductors";
    require_input(!electrolyte_only || conductivity == ConductivityKind::ionic,
                  "Electrostatics/Domain = ionic conductors needs Electrostatics/Conductivity = ionic");
    prm.enter_subsection("Boundary conditions");
    const std::string where = "Electrostatics/Boundary conditions/";
    dirichlet               = parse_boundary_functions<dim>(prm.get("Potential"), 1, where + "Potential", names);
    current.clear();
    program_current.clear();
    for (const auto &[id, values] : parse_boundary_map(prm.get("Current density"), where + "Current density", names))
      {
        require_input(values.size() == 1, where + "Current density: boundary " + std::to_string(id) +
                                            " needs one value, got " + std::to_string(values.size()));
        if (values[0] == "program")
          program_current.insert(id);
        else
          current[id] = parse_function<dim>(values, where + "Current density");
      }
    robin = parse_boundary_functions<dim>(prm.get("Robin"), 2, where + "Robin", names);
    prm.leave_subsection();
    prm.enter_subsection("Electrode kinetics");
    electrodes.materials.clear();
    for (const auto &name : split_top_level(prm.get("Electrode materials"), ','))
      if (!name.empty())
        electrodes.materials.push_back(name);
    electrodes.boundaries.clear();
    for (const auto &name : split_top_level(prm.get("Electrode boundaries"), ','))
      if (!name.empty())
        electrodes.boundaries.insert(
          parse_boundary_map(name + ": 0", "Electrostatics/Electrode kinetics/Electrode boundaries", names)
            .begin()
            ->first);
    electrodes.interface_pressure = prm.get_double("Interface pressure");
    electrodes.crack_faces        = prm.get_bool("Crack faces");
    electrodes.newton_tolerance   = prm.get_double("Newton tolerance");
    electrodes.newton_iterations  = prm.get_integer("Newton iterations");
    require_input(electrodes.materials.empty() || electrolyte_only,
                  "Electrostatics/Electrode kinetics/Electrode materials needs Electrostatics/Domain = ionic "
                  "conductors (the metals must lie outside the domain)");
    electrodes.kinetics.reset();
    if (!electrodes.materials.empty() || !electrodes.boundaries.empty())
      electrodes.kinetics = ElectrodeKinetics::create(prm, temperature);
    prm.leave_subsection();
    solver.parse_method(prm);
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
    current_output = std::make_unique<CurrentDensity<dim>>([this](const auto &cell) {
      if (!in_domain(cell))
        return 0.0;
      std::vector<double> sigma(1);
      conductivities(cell, make_degradation_evaluator(QGauss<dim>(1)), sigma);
      return sigma[0];
    });
    require_input(!parameters.dirichlet.empty() || !parameters.robin.empty() || parameters.electrodes.kinetics,
                  "Electrostatics/Boundary conditions: name at least one Potential or Robin boundary, or "
                  "electrodes (Electrode kinetics); with currents alone the potential is undetermined");
    for (const auto &[id, f] : parameters.dirichlet)
      require_input(parameters.current.count(id) == 0 && parameters.robin.count(id) == 0,
                    "Electrostatics/Boundary conditions: boundary " + std::to_string(id) +
                      " has a Potential and another condition");
    for (const auto &[id, f] : parameters.current)
      require_input(parameters.robin.count(id) == 0, "Electrostatics/Boundary conditions: boundary " +
                                                       std::to_string(id) +
                                                       " has a Current density and a Robin condition");
  }

  /// The part of the Newton system with electrodes that does not depend on
  /// phi, kept for every Newton step of a solve (and across solves while the
  /// inputs are held): the bulk residual is linear, A phi - b = C^T A (phi -
  /// phi_D) + C^T (A phi_D - b) with phi_D the Dirichlet data (phi - phi_D
  /// satisfies the homogeneous constraints), so a Newton step assembles only
  /// the electrode surfaces.
  template <int dim>
  struct Electrostatics<dim>::NewtonBulk
  {
    LA::MPI::SparseMatrix matrix;           ///< A condensed with the homogeneous constraints (S in 3D, S/m in 2D)
    LA::MPI::Vector       lifting;          ///< phi_D (V): the constraints applied to zero, owned
    LA::MPI::Vector       lifting_residual; ///< C^T (A phi_D - b) (A, A/m in 2D), owned
    std::vector<typename DoFHandler<dim>::active_cell_iterator> surface_cells; ///< owned cells with electrode surfaces
    ReusableAMGSolver                                           solver;        ///< CG with AMG for the Jacobians
  };

  template <int dim>
  Electrostatics<dim>::~Electrostatics() = default;

  template <int dim>
  void Electrostatics<dim>::hold_inputs_except(const std::string &varying)
  {
    newton_bulk.reset(); // of inputs before the hold
    bulk_held = (varying == quantity_names::li_pressure);
  }

  template <int dim>
  void Electrostatics<dim>::release_inputs()
  {
    bulk_held = false;
    newton_bulk.reset();
  }

  template <int dim>
  double Electrostatics<dim>::conductivity_of(const types::material_id id) const
  {
    const Material &m = materials.by_id(id);
    const double    sigma =
      (parameters.conductivity == ConductivityKind::electronic ? m.electronic_conductivity
       : parameters.conductivity == ConductivityKind::ionic    ? m.ionic_conductivity
                                                               : m.electronic_conductivity + m.ionic_conductivity);
    if (!(sigma > 0)) // the message only then: called per cell
      throw InputError("Electrostatics/Conductivity: material '" + m.name +
                       "' has zero conductivity of the chosen kind, so phi is undetermined there");
    return sigma;
  }

  template <int dim>
  void Electrostatics<dim>::read_quantities(QuantityRegistry<dim> &registry)
  {
    // The conductivity is damage-dependent: cracked electrolyte conducts g(d) sigma.
    degradation = registry.find(quantity_names::degradation, name());
    if (!parameters.electrodes.kinetics)
      return;
    li_pressure = registry.find(quantity_names::li_pressure, name());
    li_filling  = li_pressure ? registry.find(quantity_names::li_filling, name()) : nullptr;
    // Li-filled cracks need a damage field (its gradient makes the crack faces).
    damage_gradient = li_pressure && parameters.electrodes.crack_faces
                        ? registry.find(quantity_names::damage_gradient, name())
                        : nullptr;
    li_crack        = damage_gradient ? registry.find(quantity_names::li_crack, name()) : nullptr;
  }

  template <int dim>
  void Electrostatics<dim>::provide_quantities(QuantityRegistry<dim> &registry) const
  {
    if (!parameters.electrodes.kinetics)
      return;
    Quantity<dim> current;
    current.name           = quantity_names::filling_current;
    current.unit           = dim == 2 ? "A/m^2" : "A/m^3";
    current.provider       = name();
    current.make_evaluator = [this](const Quadrature<dim> &quadrature) {
      return CellEvaluator<dim>(
        [this, n = quadrature.size()](const typename Triangulation<dim>::active_cell_iterator &cell,
                                      std::vector<Vector<double>>                             &values) {
          const double value =
            cell->active_cell_index() < filling_current.size() ? filling_current[cell->active_cell_index()] : 0.0;
          values.assign(n, Vector<double>(1));
          for (auto &v : values)
            v[0] = value;
        });
    };
    registry.provide(current);
  }

  template <int dim>
  bool Electrostatics<dim>::in_domain(const typename DoFHandler<dim>::active_cell_iterator &cell) const
  {
    return !parameters.electrolyte_only || materials.by_id(cell->material_id()).ionic_conductivity > 0;
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
    newton_bulk.reset(); // a new mesh
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
    if (parameters.electrolyte_only)
      this->constrain_outside([this](const auto &cell) { return in_domain(cell); }, c);
  }

  namespace
  {
    /// Sets the time @p t (s) of the source and of the current and Robin data in @p parameters.
    template <class Parameters>
    void set_data_time(const Parameters &parameters, const double t)
    {
      if (parameters.source)
        parameters.source->set_time(t);
      for (const auto *bc : {&parameters.current, &parameters.robin})
        for (const auto &[id, f] : *bc)
          f->set_time(t);
    }

    /// The overpotential eta = phi_s - phi - U0 + Omega_Li p / F (V) of an
    /// electrode of @p electrodes (phi_s = 0) at electrolyte potential @p phi (V) and Li pressure @p p (Pa).
    template <class Electrodes>
    double overpotential_at(const Electrodes &electrodes, const double phi, const double p)
    {
      return -phi - electrodes.kinetics->equilibrium + electrodes.molar_volume * p / constants::faraday;
    }

    /// The cell system of a cell outside the domain: a unit diagonal on the
    /// DoFs @p constraints hold at 0 there, so that their rows are not empty.
    template <int dim>
    void hold_outside(const typename DoFHandler<dim>::active_cell_iterator &cell,
                      const AffineConstraints<double> &constraints, FullMatrix<double> &cell_matrix,
                      Vector<double> &cell_rhs)
    {
      cell_matrix = 0;
      cell_rhs    = 0;
      std::vector<types::global_dof_index> indices(cell_matrix.m());
      cell->get_dof_indices(indices);
      // Only DoFs held without masters: a hanging DoF's diagonal would be
      // condensed into its masters, which may lie in the domain.
      for (unsigned int i = 0; i < indices.size(); ++i)
        if (constraints.is_constrained(indices[i]) && constraints.get_constraint_entries(indices[i])->empty())
          cell_matrix(i, i) = 1;
    }

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
    const profile::Section section("assembly: electrostatics");
    Timer                  timer;
    system_matrix = 0;
    system_rhs    = 0;
    set_data_time(parameters, time);

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
          if (in_domain(cell))
            {
              conductivities(cell, degradation_at, sigma);
              assemble_cell<dim>(cell, sigma, parameters, fe_values, face_values, cell_matrix, cell_rhs);
            }
          else
            hold_outside<dim>(cell, constraints, cell_matrix, cell_rhs);
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
    if (parameters.electrodes.kinetics)
      return solve_with_electrodes();
    this->make_constraints(); // Dirichlet data may depend on time
    assemble_system();
    const LA::MPI::Vector scaling = scale_symmetrically(system_matrix, system_rhs);

    LA::MPI::Vector    scaled_solution(locally_owned, communicator);
    const SolverReport report =
      solve_linear(system_matrix, scaled_solution, system_rhs, parameters.solver, "Electrostatics", direct_solver);

    scaled_solution.scale(scaling);
    constraints.distribute(scaled_solution);
    locally_relevant_solution = scaled_solution;
    last_report               = report;
    return report;
  }

  /// The electrode surfaces of the owned cells of the domain: faces against
  /// electrode materials (at the Li pressure of a filling there, else the
  /// interface pressure), electrode boundaries, and the diffuse faces chi
  /// |grad d| of Li-filled cracks. Each is visited with the FEValuesBase of
  /// the face (or cell), the surface weight of every point (ds, or |grad d|
  /// dx), the Li pressure (Pa) and whether it plates into a filling.
  template <int dim>
  class Electrostatics<dim>::ElectrodeSurfaces
  {
  public:
    using Visitor = std::function<void(const FEValuesBase<dim> &, const std::vector<double> &, double, bool)>;

    explicit ElectrodeSurfaces(const Electrostatics<dim> &owner)
      : owner(owner)
      , cell_quadrature(owner.fe->degree + 1)
      , face_quadrature(owner.fe->degree + 1)
      , cell_values(owner.mapping, *owner.fe, cell_quadrature,
                    update_values | update_JxW_values | update_quadrature_points)
      , face_values(owner.mapping, *owner.fe, face_quadrature,
                    update_values | update_JxW_values | update_quadrature_points)
      , subface_values(owner.mapping, *owner.fe, face_quadrature,
                       update_values | update_JxW_values | update_quadrature_points)
    {
      for (const auto &name : owner.parameters.electrodes.materials)
        electrode_ids.insert(owner.materials.by_name(name).id);
      const QGauss<dim> center(1);
      if (owner.li_pressure)
        pressure_at_center = owner.li_pressure->make_evaluator(center);
      if (owner.li_filling)
        filling_at_center = owner.li_filling->make_evaluator(center);
      if (owner.li_crack)
        {
          crack_at_center = owner.li_crack->make_evaluator(center);
          pressure_at     = owner.li_pressure->make_evaluator(cell_quadrature);
          gradient_at     = owner.damage_gradient->make_evaluator(cell_quadrature);
        }
    }

    /// Visits the electrode surfaces of @p cell (owned, in the domain).
    void visit(const typename DoFHandler<dim>::active_cell_iterator &cell, const Visitor &visitor)
    {
      const auto &electrodes = owner.parameters.electrodes;
      for (const unsigned int f : cell->face_indices())
        {
          if (cell->at_boundary(f))
            {
              if (electrodes.boundaries.count(cell->face(f)->boundary_id()))
                visit_face(
                  face_values, [&]() { face_values.reinit(cell, f); }, electrodes.interface_pressure, false, visitor);
              continue;
            }
          if (!cell->neighbor_is_coarser(f) && cell->face(f)->has_children())
            {
              for (unsigned int sf = 0; sf < cell->face(f)->n_children(); ++sf)
                {
                  const typename DoFHandler<dim>::active_cell_iterator neighbor =
                    cell->neighbor_child_on_subface(f, sf);
                  if (electrode_ids.count(neighbor->material_id()))
                    {
                      const auto [p, filling] = pressure_of(neighbor);
                      visit_face(
                        subface_values, [&]() { subface_values.reinit(cell, f, sf); }, p, filling, visitor);
                    }
                }
              continue;
            }
          const typename DoFHandler<dim>::active_cell_iterator neighbor = cell->neighbor(f);
          if (electrode_ids.count(neighbor->material_id()))
            {
              const auto [p, filling] = pressure_of(neighbor);
              visit_face(
                face_values, [&]() { face_values.reinit(cell, f); }, p, filling, visitor);
            }
        }
      if (!crack_at_center)
        return;
      crack_at_center(cell, values);
      if (values[0][0] < 0.5) // chi is cell-wise
        return;
      cell_values.reinit(cell);
      pressure_at(cell, values);
      gradient_at(cell, gradients);
      weights.resize(cell_quadrature.size());
      for (unsigned int q = 0; q < cell_quadrature.size(); ++q)
        {
          double norm = 0;
          for (unsigned int k = 0; k < dim; ++k)
            norm += gradients[q][k] * gradients[q][k];
          weights[q] = std::sqrt(norm) * cell_values.JxW(q);
        }
      visitor(cell_values, weights, values[0][0], true); // p is uniform in the filling
    }

  private:
    /// The Li pressure (Pa) of electrode cell @p neighbor, and whether it is a filling.
    std::pair<double, bool> pressure_of(const typename DoFHandler<dim>::active_cell_iterator &neighbor)
    {
      if (!filling_at_center)
        return {owner.parameters.electrodes.interface_pressure, false};
      filling_at_center(neighbor, values);
      if (values[0][0] < 0.5)
        return {owner.parameters.electrodes.interface_pressure, false};
      pressure_at_center(neighbor, values);
      return {values[0][0], true};
    }

    template <class FaceValues>
    void visit_face(FaceValues &fv, const std::function<void()> &reinit, const double p, const bool filling,
                    const Visitor &visitor)
    {
      reinit();
      weights.resize(fv.n_quadrature_points);
      for (unsigned int q = 0; q < fv.n_quadrature_points; ++q)
        weights[q] = fv.JxW(q);
      visitor(fv, weights, p, filling);
    }

    const Electrostatics<dim>   &owner;
    const QGauss<dim>            cell_quadrature;
    const QGauss<dim - 1>        face_quadrature;
    FEValues<dim>                cell_values;
    FEFaceValues<dim>            face_values;
    FESubfaceValues<dim>         subface_values;
    std::set<types::material_id> electrode_ids;
    CellEvaluator<dim>           pressure_at_center, filling_at_center, crack_at_center, pressure_at, gradient_at;
    std::vector<Vector<double>>  values, gradients;
    std::vector<double>          weights;
  };

  template <int dim>
  void Electrostatics<dim>::assemble_newton_bulk(const AffineConstraints<double> &zero)
  {
    const profile::Section section("assembly: electrostatics");
    Timer                  timer;
    newton_bulk.reset();
    auto        assembled = std::make_unique<NewtonBulk>(); // kept only once complete
    NewtonBulk &bulk      = *assembled;
    bulk.matrix.reinit(system_matrix);
    bulk.lifting.reinit(locally_owned, communicator);
    constraints.distribute(bulk.lifting);
    LA::MPI::Vector lifting(locally_owned, locally_relevant, communicator);
    lifting = bulk.lifting;
    bulk.lifting_residual.reinit(locally_owned, communicator);
    set_data_time(parameters, time);

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
    ElectrodeSurfaces                    surfaces(*this);
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          cell->get_dof_indices(indices);
          if (!in_domain(cell))
            {
              hold_outside<dim>(cell, zero, cell_matrix, cell_rhs); // the residual is 0 there
              add_cell_contribution(zero, cell_matrix, cell_rhs, indices, bulk.matrix, bulk.lifting_residual);
              continue;
            }
          conductivities(cell, degradation_at, sigma);
          assemble_cell<dim>(cell, sigma, parameters, fe_values, face_values, cell_matrix, cell_rhs);
          cell->get_dof_values(lifting, cell_phi);
          cell_matrix.vmult(cell_residual, cell_phi);
          cell_residual -= cell_rhs;
          add_cell_contribution(zero, cell_matrix, cell_residual, indices, bulk.matrix, bulk.lifting_residual);
          bool on_surface = false;
          surfaces.visit(
            cell, [&](const FEValuesBase<dim> &, const std::vector<double> &, double, bool) { on_surface = true; });
          if (on_surface)
            bulk.surface_cells.push_back(cell);
        }
    bulk.matrix.compress(VectorOperation::add);
    bulk.lifting_residual.compress(VectorOperation::add);
    newton_bulk        = std::move(assembled);
    last_assembly_time = timer.wall_time();
  }

  template <int dim>
  void Electrostatics<dim>::assemble_newton(const AffineConstraints<double> &zero, const bool with_matrix)
  {
    const profile::Section section("assembly: electrostatics");
    // R = A phi - b - int i_n(eta) v ds; J = A + int di_n/deta v w ds (eta falls with phi).
    Timer             timer;
    const NewtonBulk &bulk = *newton_bulk;
    LA::MPI::Vector   bulk_residual(locally_owned, communicator), homogeneous(locally_owned, communicator);
    homogeneous = locally_relevant_solution;
    homogeneous -= bulk.lifting;
    bulk.matrix.vmult(bulk_residual, homogeneous);
    bulk_residual += bulk.lifting_residual;
    zero.set_zero(bulk_residual); // the condensed matrix holds the constrained rows by their diagonal

    if (with_matrix)
      system_matrix.copy_from(bulk.matrix);
    system_rhs                             = 0;
    const unsigned int                   n = fe->n_dofs_per_cell();
    FullMatrix<double>                   cell_matrix(n, n);
    Vector<double>                       cell_rhs(n);
    std::vector<types::global_dof_index> indices(n);
    std::vector<double>                  phi;
    ElectrodeSurfaces                    surfaces(*this);
    const auto                          &electrodes = parameters.electrodes;
    const double                         c          = electrodes.kinetics->c_ref; // a single-ion conductor
    for (const auto &cell : bulk.surface_cells)
      {
        cell_matrix = 0;
        cell_rhs    = 0;
        surfaces.visit(cell, [&](const FEValuesBase<dim> &fv, const std::vector<double> &w, const double p, bool) {
          phi.resize(fv.n_quadrature_points);
          fv.get_function_values(locally_relevant_solution, phi);
          for (unsigned int q = 0; q < fv.n_quadrature_points; ++q)
            {
              const double eta     = overpotential_at(electrodes, phi[q], p);
              const double current = electrodes.kinetics->current_density(eta, c);
              const double slope   = electrodes.kinetics->d_current_d_eta(eta, c);
              for (unsigned int i = 0; i < n; ++i)
                {
                  const double v_i = fv.shape_value(i, q);
                  cell_rhs(i) += current * v_i * w[q]; // -R
                  if (with_matrix)
                    for (unsigned int j = 0; j < n; ++j)
                      cell_matrix(i, j) += slope * v_i * fv.shape_value(j, q) * w[q];
                }
            }
        });
        cell->get_dof_indices(indices);
        if (with_matrix)
          add_cell_contribution(zero, cell_matrix, cell_rhs, indices, system_matrix, system_rhs);
        else
          zero.distribute_local_to_global(cell_rhs, indices, system_rhs);
      }
    if (with_matrix)
      system_matrix.compress(VectorOperation::add);
    system_rhs.compress(VectorOperation::add);
    system_rhs.add(-1, bulk_residual);
    last_assembly_time = timer.wall_time();
  }

  template <int dim>
  SolverReport Electrostatics<dim>::solve_with_electrodes()
  {
    // Newton's method for the Butler-Volmer electrodes; the Jacobian is SPD
    // (di_n/deta > 0), so CG with AMG on the symmetrically scaled system.
    Timer timer;
    this->make_constraints();
    AffineConstraints<double> zero;
    this->make_zero_constraints(zero);
    LA::MPI::Vector phi(locally_owned, communicator);
    phi = locally_relevant_solution;
    constraints.distribute(phi);
    locally_relevant_solution = phi;
    // The scale of the residual: the applied current, else (below) the
    // current of the Dirichlet data, else the first residual.
    double scale = 0;
    for (const auto &[id, f] : parameters.current)
      {
        f->set_time(time);
        scale += std::abs(f->value(Point<dim>())) * boundary_measure(triangulation, id);
      }
    if (!bulk_held || !newton_bulk)
      assemble_newton_bulk(zero);
    // Else the current of the Dirichlet data into a zero interior: it does not
    // depend on the first iterate (a re-solve may start converged), and it
    // bounds the round-off of the bulk residual, which electrode currents
    // with slow kinetics may not.
    if (scale == 0)
      scale = newton_bulk->lifting_residual.l1_norm();
    SolverReport report; // its iterations: CG iterations of all Newton steps
    const auto  &electrodes = parameters.electrodes;
    newton_iterations       = 0;
    bool assembled_at_phi   = false; // the system holds R and J of the current phi
    for (unsigned int iteration = 0;; ++iteration)
      {
        if (!assembled_at_phi)
          assemble_newton(zero, true);
        const double residual = system_rhs.l1_norm();
        if (scale == 0)
          scale = residual;
        if (residual <= electrodes.newton_tolerance * scale || residual == 0)
          break;
        AssertThrow(iteration < electrodes.newton_iterations,
                    ExcMessage("Electrostatics: the Butler-Volmer electrodes did not converge in Electrode "
                               "kinetics/Newton iterations = " +
                               std::to_string(electrodes.newton_iterations) + " (residual " +
                               format_number(residual / scale) + " of the current scale)"));
        LA::MPI::Vector   update(locally_owned, communicator);
        const std::string what = "Electrostatics (Newton)";
        report.iterations += (parameters.solver.method == "direct"
                                ? direct_solver.solve(system_matrix, update, system_rhs, what)
                                : newton_bulk->solver.solve(system_matrix, update, system_rhs, parameters.solver, what))
                               .iterations;
        zero.distribute(update);
        // Backtracking: the exponentials of Butler-Volmer can overshoot. The
        // full step, nearly always taken, assembles J too: the next
        // iteration starts from it instead of assembling R again.
        LA::MPI::Vector start(phi);
        for (double step = 1;; step /= 2)
          {
            phi = start;
            phi.add(step, update);
            locally_relevant_solution = phi;
            assemble_newton(zero, step == 1);
            const double trial = system_rhs.l1_norm();
            assembled_at_phi   = step == 1;
            if ((std::isfinite(trial) && trial < residual) || step < 1e-3)
              break;
          }
        newton_iterations = iteration + 1;
      }
    update_electrode_currents();
    if (!bulk_held)
      newton_bulk.reset(); // the inputs may change before the next solve
    report.solve_time = timer.wall_time();
    last_report       = report;
    return report;
  }

  template <int dim>
  void Electrostatics<dim>::update_electrode_currents()
  {
    ElectrodeSurfaces   surfaces(*this);
    const auto         &electrodes = parameters.electrodes;
    const double        c          = electrodes.kinetics->c_ref;
    std::vector<double> phi;
    ElectrodeCurrents   local;
    filling_current.reinit(triangulation.n_active_cells());
    for (const auto &cell : newton_bulk->surface_cells)
      surfaces.visit(
        cell, [&](const FEValuesBase<dim> &fv, const std::vector<double> &w, const double p, const bool filling) {
          phi.resize(fv.n_quadrature_points);
          fv.get_function_values(locally_relevant_solution, phi);
          double current = 0, area = 0; // into the metal: -i_n
          for (unsigned int q = 0; q < fv.n_quadrature_points; ++q)
            {
              const double eta = overpotential_at(electrodes, phi[q], p);
              current -= electrodes.kinetics->current_density(eta, c) * w[q];
              area += w[q];
            }
          (filling ? local.filling : local.interface) += current;
          (filling ? local.filling_area : local.interface_area) += area;
          if (filling)
            filling_current[cell->active_cell_index()] += current / cell->measure();
        });
    currents.interface      = Utilities::MPI::sum(local.interface, communicator);
    currents.filling        = Utilities::MPI::sum(local.filling, communicator);
    currents.interface_area = Utilities::MPI::sum(local.interface_area, communicator);
    currents.filling_area   = Utilities::MPI::sum(local.filling_area, communicator);
  }

  template <int dim>
  double Electrostatics<dim>::mean_electrode_current_density(const std::function<bool(const Point<dim> &)> &where) const
  {
    ElectrodeSurfaces   surfaces(*this);
    const auto         &electrodes = parameters.electrodes;
    std::vector<double> phi;
    double              current = 0, area = 0;
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned() && in_domain(cell))
        surfaces.visit(cell, [&](const FEValuesBase<dim> &fv, const std::vector<double> &w, const double p, bool) {
          phi.resize(fv.n_quadrature_points);
          fv.get_function_values(locally_relevant_solution, phi);
          for (unsigned int q = 0; q < fv.n_quadrature_points; ++q)
            if (where(fv.quadrature_point(q)))
              {
                const double eta = overpotential_at(electrodes, phi[q], p);
                current -= electrodes.kinetics->current_density(eta, electrodes.kinetics->c_ref) * w[q];
                area += w[q];
              }
        });
    area = Utilities::MPI::sum(area, communicator);
    return area > 0 ? Utilities::MPI::sum(current, communicator) / area : 0.0;
  }

  template <int dim>
  void Electrostatics<dim>::add_statistics(StatisticsTable &table, const BoundaryLabels &labels)
  {
    table.add_value("electrostatics_dofs", "", this->n_dofs());
    table.add_value("electrostatics_cg_iterations", "", last_report.iterations);
    const std::string unit    = dim == 2 ? "A/m" : "A";
    double            applied = 0, applied_area = 0; // through the boundaries with a current density
    for (const auto &[id, current] : boundary_currents())
      {
        table.add_value("current_" + boundary_label(labels, id), unit, current);
        if (parameters.current.count(id))
          {
            applied -= current;
            applied_area += boundary_measure(triangulation, id);
          }
      }
    if (!parameters.electrodes.kinetics)
      return;
    const double total = currents.interface + currents.filling;
    table.add_value("electrostatics_newton_iterations", "", newton_iterations);
    table.add_value("current_interface", unit, currents.interface);
    table.add_value("current_filling", unit, currents.filling);
    table.add_value("filling_current_share", "", total != 0 ? currents.filling / total : 0.0);
    // Mean plating current density into the filling over the nominal one.
    const double nominal =
      applied_area > 0 ? applied / applied_area : total / (currents.interface_area + currents.filling_area);
    table.add_value("focusing_factor", "",
                    currents.filling_area > 0 && nominal != 0 ? currents.filling / currents.filling_area / nominal
                                                              : 0.0);
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
      if (cell->is_locally_owned() && in_domain(cell))
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
    data_out.add_data_vector(dofs, locally_relevant_solution, *current_output);
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
    parameters.parse_parameters(prm, context.boundary_names, context.materials.conditions().temperature);
    if (parameters.electrodes.kinetics)
      {
        // Li's molar volume for the mechanical overpotential.
        parameters.electrodes.molar_volume = context.materials.by_name("Li metal", "Electrostatics").molar_volume;
        for (const auto &name : parameters.electrodes.materials)
          context.materials.by_name(name, "Electrostatics/Electrode kinetics/Electrode materials");
      }
    for (const auto id : parameters.program_current)
      {
        require_input(!context.current_program.working_electrode().empty(),
                      "Electrostatics/Boundary conditions/Current density: 'program' needs a current program "
                      "(Current program/Working electrode is empty)");
        parameters.current[id] = std::make_shared<ProgramCurrent<dim>>(context.current_program, -1.0);
      }
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
