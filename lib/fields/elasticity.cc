#include <dendra/base/exceptions.h>
#include <dendra/fields/elasticity.h>
#include <dendra/materials/material_library.h>
#include <dendra/materials/phase_interpolation.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/timer.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_dgq.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/numerics/vector_tools.h>

#include <algorithm>

namespace dendra
{
  using namespace dealii;

  namespace
  {
    /// Settings that suit CG + smoothed-aggregation AMG (ML) on elasticity.
    LinearSolverSettings elasticity_solver_defaults()
    {
      LinearSolverSettings s; // ML defaults; measured in benchmarks/elliptic
      return s;
    }

    /// Full 3x3 stress (Pa) from the in-plane strain, Lame parameters and the
    /// eigenstrain (3x3; plane strain: eps_zz = 0).
    template <int dim>
    SymmetricTensor<2, 3> full_stress(const SymmetricTensor<2, dim> &strain, const double lambda, const double mu,
                                      const SymmetricTensor<2, 3> &eigenstrain)
    {
      SymmetricTensor<2, 3> elastic = -eigenstrain;
      for (unsigned int i = 0; i < dim; ++i)
        for (unsigned int j = i; j < dim; ++j)
          elastic[i][j] += strain[i][j];
      return lambda * trace(elastic) * unit_symmetric_tensor<3>() + 2 * mu * elastic;
    }

    double von_mises(const SymmetricTensor<2, 3> &s)
    {
      const auto d = deviator(s);
      return std::sqrt(1.5 * (d * d));
    }

    /// Number of scalar stress fields written to the output.
    template <int dim>
    constexpr unsigned int n_stress_outputs = 3 + (dim == 2 ? 4 : 6);

    /// The stress output fields at a point, in the order of
    /// stress_field_names(); stress_from_output() reads them back.
    template <int dim>
    std::array<double, n_stress_outputs<dim>> stress_output_values(const SymmetricTensor<2, 3> &s)
    {
      std::array<double, n_stress_outputs<dim>> v{};
      v[0] = von_mises(s);
      v[1] = trace(s) / 3;
      v[2] = eigenvalues(s)[0];
      v[3] = s[0][0];
      v[4] = s[1][1];
      v[5] = s[2][2];
      v[6] = s[0][1];
      if (dim == 3)
        {
          v[7] = s[0][2];
          v[8] = s[1][2];
        }
      return v;
    }
  } // namespace

  template <int dim>
  Elasticity<dim>::Parameters::Parameters()
    : solver(elasticity_solver_defaults())
  {
    growth_direction[dim - 1] = 1;
  }

  template <int dim>
  void Elasticity<dim>::Parameters::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Elasticity");
    prm.declare_entry("Polynomial degree", "1", Patterns::Integer(1, 4), "Degree of the Lagrange elements for u (-).");
    prm.declare_entry("Damage split", "volumetric-deviatoric", Patterns::Selection("volumetric-deviatoric|hybrid"),
                      "With damage: volumetric-deviatoric degrades the stiffness only in volumetric tension "
                      "(cracks carry compression; the stiffness depends on the strain, so a solve is a fixed-point "
                      "step); hybrid degrades it all (linear, robust when cracks run; Ambati et al. 2015). Damage "
                      "is driven by the tensile energy either way.");
    prm.declare_entry("Volumetric eigenstrain", "0", Patterns::Anything(),
                      "Volumetric eigenstrain eps_v(x, y, z, t) (-), the added volume fraction; "
                      "eps* = eps_v / 3 I. Adds to the plating eigenstrain of subsection Plating.");
    prm.declare_entry(
      "Body force", "0", Patterns::Anything(),
      "Body force per volume 'f_x, f_y[, f_z]' (N/m^3), functions of x, y, z, t; one value = all components.");
    prm.declare_entry("Eigenstrain materials", "", Patterns::Anything(),
                      "Comma-separated material names in which 'Volumetric eigenstrain' acts; empty = everywhere.");
    prm.enter_subsection("Plated lithium");
    prm.declare_entry("Growth eigenstrain", "1", Patterns::Double(0),
                      "eps_g (-): volume added per volume of Li plated in a deposition run (phase field xi), "
                      "relative to the initial metal; 1 = the plated Li takes all its volume from the surroundings.");
    prm.declare_entry("Growth mode", "volumetric", Patterns::Selection("volumetric|directional"),
                      "volumetric: eps* = eps_g (h(xi) - h(xi_0)) I / 3; directional: eps_g (h(xi) - h(xi_0)) n n "
                      "with n the growth direction (the plated layer thickens along n only).");
    prm.declare_entry("Stress-free phase", "", Patterns::Anything(),
                      "xi_ref(x, y[, z]) (-): the Li that carries no growth eigenstrain; empty = the initial phase "
                      "of the deposition run.");
    prm.declare_entry("Growth direction", "", Patterns::Anything(),
                      "Growth direction n 'n_x, n_y[, n_z]' of the directional mode (-), normal to the electrode; "
                      "normalised on input; empty = +y in 2D, +z in 3D.");
    prm.leave_subsection();
    prm.enter_subsection("Boundary conditions");
    prm.declare_entry("Displacement", "electrode bottom: 0", Patterns::Anything(),
                      "Dirichlet data 'b: u_x, u_y[, u_z]; ...' in m (one value = all components); a "
                      "component '-' stays free (e.g. 'x min: 0, -' is a roller). b is a boundary id or name.");
    prm.declare_entry("Traction", "", Patterns::Anything(), "Traction vector 'b: t_x, t_y[, t_z]; ...' in Pa.");
    prm.declare_entry("Pressure", "", Patterns::Anything(),
                      "Normal pressure 'b: p; ...' in Pa (traction = -p n; p > 0 pushes on the body).");
    prm.leave_subsection();
    prm.enter_subsection("Linear solver");
    LinearSolverSettings::declare_parameters(prm, elasticity_solver_defaults());
    prm.leave_subsection();
    prm.leave_subsection();
  }

  template <int dim>
  void Elasticity<dim>::Parameters::parse_parameters(ParameterHandler &prm, const BoundaryNames &names)
  {
    prm.enter_subsection("Elasticity");
    degree        = prm.get_integer("Polynomial degree");
    hybrid_damage = prm.get("Damage split") == "hybrid";
    volumetric_eigenstrain =
      parse_function<dim>({prm.get("Volumetric eigenstrain")}, "Elasticity/Volumetric eigenstrain");
    auto force = split_top_level(prm.get("Body force"), ',');
    if (force.size() == 1)
      force.resize(dim, force[0]);
    require_input(force.size() == dim, "Elasticity/Body force: needs " + std::to_string(dim) + " components, got " +
                                         std::to_string(force.size()));
    body_force = parse_function<dim>(force, "Elasticity/Body force");
    eigenstrain_materials.clear();
    for (const auto &name : split_top_level(prm.get("Eigenstrain materials"), ','))
      if (!name.empty())
        eigenstrain_materials.push_back(name);

    prm.enter_subsection("Plated lithium");
    growth_strain                    = prm.get_double("Growth eigenstrain");
    growth_directional               = prm.get("Growth mode") == "directional";
    const std::string direction_text = prm.get("Growth direction");
    Point<dim>        direction;
    direction[dim - 1] = 1;
    if (!direction_text.empty())
      direction = parse_point<dim>(direction_text, "Elasticity/Plated lithium/Growth direction");
    require_input(direction.norm() > 0, "Elasticity/Plated lithium/Growth direction: must not be zero");
    growth_direction              = direction / direction.norm();
    const std::string stress_free = prm.get("Stress-free phase");
    stress_free_phase =
      stress_free.empty() ? nullptr : parse_function<dim>({stress_free}, "Elasticity/Plated lithium/Stress-free phase");
    prm.leave_subsection();
    prm.enter_subsection("Boundary conditions");
    const std::string where = "Elasticity/Boundary conditions/";
    displacement.clear();
    for (auto [id, expressions] : parse_boundary_map(prm.get("Displacement"), where + "Displacement", names))
      {
        if (expressions.size() == 1)
          expressions.resize(dim, expressions[0]);
        require_input(expressions.size() == dim, where + "Displacement: boundary " + std::to_string(id) + " needs " +
                                                   std::to_string(dim) + " components, got " +
                                                   std::to_string(expressions.size()));
        std::vector<bool> mask(dim, true);
        for (unsigned int c = 0; c < dim; ++c)
          if (expressions[c] == "-" || expressions[c] == "free")
            {
              mask[c]        = false;
              expressions[c] = "0";
            }
        displacement[id] = {parse_function<dim>(expressions, where + "Displacement"), ComponentMask(mask)};
      }
    traction = parse_boundary_functions<dim>(prm.get("Traction"), dim, where + "Traction", names);
    pressure = parse_boundary_functions<dim>(prm.get("Pressure"), 1, where + "Pressure", names);
    prm.leave_subsection();
    prm.enter_subsection("Linear solver");
    solver.parse_parameters(prm);
    prm.leave_subsection();
    prm.leave_subsection();
  }

  /// The data of the points of one cell: the eigenstrain (3x3) from the
  /// parsed function (in the chosen materials), the coupled scalar field and
  /// the plated Li, and the Li fraction h(xi) that mixes the moduli.
  template <int dim>
  class Elasticity<dim>::PointData
  {
  public:
    PointData(const Elasticity<dim> &owner, const Quadrature<dim> &quadrature)
      : eigenstrain(quadrature.size())
      , owner(owner)
      , values(quadrature.size())
      , field_values(quadrature.size())
    {
      if (owner.eigenstrain_field_dofs != nullptr)
        field_fe_values = std::make_unique<FEValues<dim>>(owner.mapping, owner.eigenstrain_field_dofs->get_fe(),
                                                          quadrature, update_values);
      if (owner.damage.dofs != nullptr)
        {
          damage_fe_values =
            std::make_unique<FEValues<dim>>(owner.mapping, owner.damage.dofs->get_fe(), quadrature, update_values);
          damage.resize(quadrature.size());
        }
      if (owner.plated_li.dofs != nullptr)
        {
          const auto &phase_fe = owner.plated_li.dofs->get_fe();
          phase_fe_values      = std::make_unique<FEValues<dim>>(owner.mapping, phase_fe, quadrature, update_values);
          average_fe_values =
            std::make_unique<FEValues<dim>>(owner.mapping, phase_fe, QGauss<dim>(phase_fe.degree + 1),
                                            update_values | update_quadrature_points | update_JxW_values);
          average_values.resize(average_fe_values->n_quadrature_points);
          reference_values.resize(average_fe_values->n_quadrature_points);
          inputs.li_fraction.resize(quadrature.size());
        }
    }

    /// Fills eigenstrain and inputs (material id, Li fraction) for @p cell.
    void evaluate(const typename DoFHandler<dim>::active_cell_iterator &cell, const std::vector<Point<dim>> &points)
    {
      inputs.material_id = cell->material_id();
      std::fill(values.begin(), values.end(), 0.0);
      const auto &f = owner.parameters.volumetric_eigenstrain;
      if (f && (owner.eigenstrain_ids.empty() || owner.eigenstrain_ids.count(cell->material_id())))
        for (unsigned int q = 0; q < values.size(); ++q)
          values[q] = f->value(points[q]);
      if (field_fe_values)
        {
          field_fe_values->reinit(same_cell<dim>(cell, *owner.eigenstrain_field_dofs));
          field_fe_values->get_function_values(*owner.eigenstrain_field, field_values);
          for (unsigned int q = 0; q < values.size(); ++q)
            values[q] += owner.eigenstrain_field_scale * field_values[q];
        }
      for (unsigned int q = 0; q < values.size(); ++q)
        eigenstrain[q] = values[q] / 3 * unit_symmetric_tensor<3>();
      if (phase_fe_values)
        add_plated_li(cell);
      damaged = damage_fe_values && owner.damage.damageable.count(cell->material_id()) > 0;
      if (damaged)
        {
          damage_fe_values->reinit(same_cell<dim>(cell, *owner.damage.dofs));
          damage_fe_values->get_function_values(*owner.damage.state, damage);
        }
    }

    std::vector<SymmetricTensor<2, 3>> eigenstrain;     ///< eps* (-) per point
    MaterialInputs                     inputs;          ///< for MaterialLibrary::evaluate()
    bool                               damaged = false; ///< the cell can damage (and damage is coupled)
    std::vector<double>                damage;          ///< d (-) per point, if damaged

  private:
    /// h(xi) with xi clamped to [0, 1] (it overshoots slightly near the interface).
    static double li_fraction(const double xi) { return phase_interpolation(std::clamp(xi, 0.0, 1.0)); }

    /// The mean of h(xi) - h(xi_ref) over @p cell. A reference state in the
    /// phase field's own space makes the initial state exactly stress-free (a
    /// function differs from its interpolant within the cells). The growth eigenstrain is
    /// constant per cell: the strain of Q1 displacements cannot follow an
    /// eigenstrain that changes within a cell, and the stresses that mismatch
    /// leaves at the quadrature points would feed back into the kinetics.
    double mean_plated_fraction(const typename DoFHandler<dim>::active_cell_iterator &cell)
    {
      const auto &plated = owner.plated_li;
      average_fe_values->reinit(cell);
      (*average_fe_values)[FEValuesExtractors::Scalar(plated.component)].get_function_values(*plated.state,
                                                                                             average_values);
      if (plated.reference_state)
        (*average_fe_values)[FEValuesExtractors::Scalar(plated.component)].get_function_values(*plated.reference_state,
                                                                                               reference_values);
      double sum = 0, volume = 0;
      for (unsigned int q = 0; q < average_values.size(); ++q)
        {
          const auto  &x   = average_fe_values->quadrature_point(q);
          const double ref = plated.reference_state ? li_fraction(reference_values[q])
                             : plated.reference     ? li_fraction(plated.reference->value(x))
                                                    : 0.0;
          sum += (li_fraction(average_values[q]) - ref) * average_fe_values->JxW(q);
          volume += average_fe_values->JxW(q);
        }
      return sum / volume;
    }

    void add_plated_li(const typename DoFHandler<dim>::active_cell_iterator &cell)
    {
      const auto &plated = owner.plated_li;
      if (plated.hosts.count(cell->material_id())) // the host holds xi = 1 but stays itself
        {
          std::fill(inputs.li_fraction.begin(), inputs.li_fraction.end(), 0.0);
          return;
        }
      const auto &p          = owner.parameters;
      const auto  phase_cell = same_cell<dim>(cell, *plated.dofs);
      phase_fe_values->reinit(phase_cell);
      (*phase_fe_values)[FEValuesExtractors::Scalar(plated.component)].get_function_values(*plated.state, field_values);
      const double          plated_fraction = mean_plated_fraction(phase_cell);
      SymmetricTensor<2, 3> shape; // eps* per unit plated fraction
      if (p.growth_directional)
        for (unsigned int i = 0; i < dim; ++i)
          for (unsigned int j = i; j < dim; ++j)
            shape[i][j] = p.growth_direction[i] * p.growth_direction[j];
      else
        shape = unit_symmetric_tensor<3>() / 3;
      for (unsigned int q = 0; q < field_values.size(); ++q)
        {
          inputs.li_fraction[q] = li_fraction(field_values[q]);
          eigenstrain[q] += p.growth_strain * plated_fraction * shape;
        }
    }

    const Elasticity<dim>         &owner;
    std::vector<double>            values, field_values, average_values, reference_values;
    std::unique_ptr<FEValues<dim>> field_fe_values, phase_fe_values, average_fe_values, damage_fe_values;
  };

  template <int dim>
  void Elasticity<dim>::apply_damage(const std::vector<SymmetricTensor<2, dim>> &strains, const PointData &point_data,
                                     MaterialOutputs &out) const
  {
    if (!point_data.damaged)
      return;
    for (unsigned int q = 0; q < strains.size(); ++q)
      {
        // Plane strain: eps_zz = 0, so tr eps_e = tr eps - tr eps*.
        const double g = damage.degradation(point_data.damage[q]), mu = out.shear_modulus[q];
        const double bulk    = out.lame_lambda[q] + 2 * mu / 3;
        const bool   tension = parameters.hybrid_damage || trace(strains[q]) - trace(point_data.eigenstrain[q]) > 0;
        out.shear_modulus[q] = g * mu;
        out.lame_lambda[q]   = (tension ? g : 1.0) * bulk - 2 * g * mu / 3;
      }
  }

  template <int dim>
  void Elasticity<dim>::freeze_damage_split(const bool freeze)
  {
    split_frozen = freeze;
    if (freeze)
      split_state = locally_relevant_solution;
  }

  template <int dim>
  void Elasticity<dim>::set_damage(const DamageLink &link)
  {
    Assert(link.dofs != nullptr && link.state != nullptr && link.degradation,
           ExcMessage("DamageLink needs DoFs, a state and g(d)."));
    damage = link;
  }

  template <int dim>
  std::function<void(const typename Triangulation<dim>::active_cell_iterator &, const Quadrature<dim> &,
                     std::vector<double> &)>
  Elasticity<dim>::tensile_energy() const
  {
    // Scratch data for one quadrature rule, made at the first call.
    struct Scratch
    {
      std::unique_ptr<FEValues<dim>>       fe_values;
      std::unique_ptr<PointData>           point_data;
      std::vector<SymmetricTensor<2, dim>> strains;
      MaterialOutputs                      out;
    };
    auto scratch = std::make_shared<Scratch>();
    return [this, scratch](const typename Triangulation<dim>::active_cell_iterator &cell,
                           const Quadrature<dim> &quadrature, std::vector<double> &psi) {
      auto &s = *scratch;
      if (!s.fe_values || s.fe_values->n_quadrature_points != quadrature.size())
        {
          s.fe_values =
            std::make_unique<FEValues<dim>>(mapping, *fe, quadrature, update_gradients | update_quadrature_points);
          s.point_data = std::make_unique<PointData>(*this, quadrature);
          s.strains.resize(quadrature.size());
          s.out.resize(quadrature.size());
        }
      const typename DoFHandler<dim>::active_cell_iterator dof_cell(&triangulation, cell->level(), cell->index(),
                                                                    &dofs);
      s.fe_values->reinit(dof_cell);
      (*s.fe_values)[FEValuesExtractors::Vector(0)].get_function_symmetric_gradients(locally_relevant_solution,
                                                                                     s.strains);
      s.point_data->evaluate(dof_cell, s.fe_values->get_quadrature_points());
      materials.evaluate(s.point_data->inputs, s.out);
      psi.resize(quadrature.size());
      for (unsigned int q = 0; q < quadrature.size(); ++q)
        {
          SymmetricTensor<2, 3> elastic = -s.point_data->eigenstrain[q];
          for (unsigned int i = 0; i < dim; ++i)
            for (unsigned int j = i; j < dim; ++j)
              elastic[i][j] += s.strains[q][i][j];
          const double mu = s.out.shear_modulus[q], bulk = s.out.lame_lambda[q] + 2 * mu / 3;
          const double tr  = std::max(trace(elastic), 0.0);
          const auto   dev = deviator(elastic);
          psi[q]           = 0.5 * bulk * tr * tr + mu * (dev * dev);
        }
    };
  }

  template <int dim>
  Elasticity<dim>::Elasticity(const parallel::distributed::Triangulation<dim> &tria, const MaterialLibrary &materials,
                              const Parameters &parameters)
    : Field<dim>(tria, std::make_unique<FESystem<dim>>(FE_Q<dim>(parameters.degree), dim))
    , materials(materials)
    , parameters(parameters)
    , stress_fe(FE_DGQ<dim>(parameters.degree), n_stress_outputs<dim>)
    , stress_dofs(tria)
  {
    for (const auto &name : parameters.eigenstrain_materials)
      eigenstrain_ids.insert(materials.by_name(name, "Elasticity/Eigenstrain materials").id);
  }

  template <int dim>
  void Elasticity<dim>::set_eigenstrain_field(const DoFHandler<dim> &field_dofs, const LA::MPI::Vector &field,
                                              const double volumetric_strain_per_unit)
  {
    Assert(field_dofs.get_fe().n_components() == 1, ExcMessage("The eigenstrain field must be scalar."));
    eigenstrain_field_dofs  = &field_dofs;
    eigenstrain_field       = &field;
    eigenstrain_field_scale = volumetric_strain_per_unit;
  }

  template <int dim>
  void Elasticity<dim>::set_plated_li(const PlatedLi &plated)
  {
    Assert(plated.dofs != nullptr && plated.state != nullptr, ExcMessage("PlatedLi needs DoFs and a state."));
    Assert(plated.component < plated.dofs->get_fe().n_components(), ExcIndexRange(plated.component, 0, 1));
    plated_li = plated;
  }

  template <int dim>
  void Elasticity<dim>::add_boundary_constraints(AffineConstraints<double> &c)
  {
    for (const auto &[id, condition] : parameters.displacement)
      {
        condition.function->set_time(time);
        VectorTools::interpolate_boundary_values(mapping, dofs, id, *condition.function, c, condition.mask);
      }
  }

  template <int dim>
  void Elasticity<dim>::setup_dofs()
  {
    split_frozen      = false; // the frozen displacement lives on the old mesh
    const auto ids    = triangulation.get_boundary_ids();
    const auto exists = [&ids](const types::boundary_id id) {
      return std::find(ids.begin(), ids.end(), id) != ids.end();
    };
    for (const auto &[id, c] : parameters.displacement)
      require_input(exists(id), "Elasticity/Boundary conditions/Displacement: boundary id " + std::to_string(id) +
                                  " does not exist in the mesh");
    for (const auto *bc : {&parameters.traction, &parameters.pressure})
      for (const auto &[id, f] : *bc)
        require_input(exists(id), "Elasticity/Boundary conditions: boundary id " + std::to_string(id) +
                                    " does not exist in the mesh");
    Field<dim>::setup_dofs();
  }

  template <int dim>
  void Elasticity<dim>::assemble_system()
  {
    Timer timer;
    system_matrix = 0;
    system_rhs    = 0;
    for (auto *f : {parameters.volumetric_eigenstrain.get(), parameters.body_force.get()})
      if (f)
        f->set_time(time);
    for (const auto *bc : {&parameters.traction, &parameters.pressure})
      for (const auto &[id, f] : *bc)
        f->set_time(time);

    const QGauss<dim>                    quadrature(fe->degree + 1);
    const QGauss<dim - 1>                face_quadrature(fe->degree + 1);
    FEValues<dim>                        fe_values(mapping, *fe, quadrature,
                                                   update_values | update_gradients | update_quadrature_points | update_JxW_values);
    FEFaceValues<dim>                    face_values(mapping, *fe, face_quadrature,
                                                     update_values | update_quadrature_points | update_normal_vectors | update_JxW_values);
    const FEValuesExtractors::Vector     u(0);
    const unsigned int                   n = fe->n_dofs_per_cell();
    FullMatrix<double>                   cell_matrix(n, n);
    Vector<double>                       cell_rhs(n);
    std::vector<types::global_dof_index> indices(n);
    std::vector<SymmetricTensor<2, dim>> sym_grad(n), current_strains(quadrature.size());
    std::vector<double>                  div(n);
    Vector<double>                       force(dim);
    MaterialOutputs                      out;
    out.resize(quadrature.size());
    PointData point_data(*this, quadrature);

    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          cell_matrix = 0;
          cell_rhs    = 0;
          fe_values.reinit(cell);
          require_input(materials.by_id(cell->material_id()).young_modulus > 0,
                        "Elasticity: material '" + materials.by_id(cell->material_id()).name +
                          "' has Young's modulus 0 (a fluid); every cell must be a solid");
          point_data.evaluate(cell, fe_values.get_quadrature_points());
          materials.evaluate(point_data.inputs, out);
          if (point_data.damaged)
            {
              // Tension or compression: from the frozen displacement if there is one.
              fe_values[u].get_function_symmetric_gradients(split_frozen ? split_state : locally_relevant_solution,
                                                            current_strains);
              apply_damage(current_strains, point_data, out);
            }
          for (const unsigned int q : fe_values.quadrature_point_indices())
            {
              const double lambda = out.lame_lambda[q], mu = out.shear_modulus[q], dx = fe_values.JxW(q);
              for (unsigned int i = 0; i < n; ++i)
                {
                  sym_grad[i] = fe_values[u].symmetric_gradient(i, q);
                  div[i]      = fe_values[u].divergence(i, q);
                }
              // C : eps*, in-plane part (plane strain: eps*_zz enters through the trace).
              const auto             &e           = point_data.eigenstrain[q];
              const auto              eigenstress = lambda * trace(e) * unit_symmetric_tensor<3>() + 2 * mu * e;
              SymmetricTensor<2, dim> eigenstress_in_plane;
              for (unsigned int a = 0; a < dim; ++a)
                for (unsigned int b = a; b < dim; ++b)
                  eigenstress_in_plane[a][b] = eigenstress[a][b];
              if (parameters.body_force)
                parameters.body_force->vector_value(fe_values.quadrature_point(q), force);
              for (unsigned int i = 0; i < n; ++i)
                {
                  for (unsigned int j = 0; j < n; ++j)
                    cell_matrix(i, j) += (lambda * div[i] * div[j] + 2 * mu * (sym_grad[i] * sym_grad[j])) * dx;
                  const unsigned int c = fe->system_to_component_index(i).first;
                  cell_rhs(i) += (eigenstress_in_plane * sym_grad[i] + force[c] * fe_values.shape_value(i, q)) * dx;
                }
            }
          for (const unsigned int face : cell->face_indices())
            if (cell->at_boundary(face))
              {
                const auto id       = cell->face(face)->boundary_id();
                const auto traction = parameters.traction.find(id);
                const auto pressure = parameters.pressure.find(id);
                if (traction == parameters.traction.end() && pressure == parameters.pressure.end())
                  continue;
                face_values.reinit(cell, face);
                for (const unsigned int q : face_values.quadrature_point_indices())
                  {
                    const auto    &x = face_values.quadrature_point(q);
                    Tensor<1, dim> t;
                    if (traction != parameters.traction.end())
                      for (unsigned int d = 0; d < dim; ++d)
                        t[d] = traction->second->value(x, d);
                    else
                      t = -pressure->second->value(x) * face_values.normal_vector(q);
                    for (unsigned int i = 0; i < n; ++i)
                      cell_rhs(i) += t * face_values[u].value(i, q) * face_values.JxW(q);
                  }
              }
          cell->get_dof_indices(indices);
          add_cell_contribution(constraints, cell_matrix, cell_rhs, indices, system_matrix, system_rhs);
        }
    system_matrix.compress(VectorOperation::add);
    system_rhs.compress(VectorOperation::add);
    last_assembly_time = timer.wall_time();
  }

  template <int dim>
  SolverReport Elasticity<dim>::solve()
  {
    this->make_constraints(); // displacement data may depend on time
    assemble_system();
    LA::MPI::Vector    distributed(locally_owned, communicator);
    const SolverReport report = solve_cg_with_amg(system_matrix, distributed, system_rhs, parameters.solver,
                                                  "Elasticity", rigid_body_modes(dofs, communicator), dim);
    constraints.distribute(distributed);
    locally_relevant_solution = distributed;
    return report;
  }

  template <int dim>
  void Elasticity<dim>::visit_stresses(const Quadrature<dim> &quadrature, const StressVisitor &visit) const
  {
    FEValues<dim>                    fe_values(mapping, *fe, quadrature, update_gradients | update_quadrature_points);
    const FEValuesExtractors::Vector u(0);
    std::vector<SymmetricTensor<2, dim>> strains(quadrature.size());
    MaterialOutputs                      out;
    out.resize(quadrature.size());
    PointData point_data(*this, quadrature);
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fe_values.reinit(cell);
          fe_values[u].get_function_symmetric_gradients(locally_relevant_solution, strains);
          point_data.evaluate(cell, fe_values.get_quadrature_points());
          materials.evaluate(point_data.inputs, out);
          apply_damage(strains, point_data, out);
          for (unsigned int q = 0; q < quadrature.size(); ++q)
            visit(fe_values.quadrature_point(q), cell->material_id(),
                  full_stress<dim>(strains[q], out.lame_lambda[q], out.shear_modulus[q], point_data.eigenstrain[q]));
        }
  }

  namespace
  {
    /// The global maximum of @p value and the point where a rank found it.
    /// True if @p a comes before @p b in lexicographic coordinate order.
    template <int dim>
    bool lexicographically_before(const Point<dim> &a, const Point<dim> &b)
    {
      for (unsigned int d = 0; d < dim; ++d)
        if (a[d] != b[d])
          return a[d] < b[d];
      return false;
    }

    /// The first point in lexicographic order of @p candidates on all ranks
    /// (each rank: at most one, @p has_candidate).
    template <int dim>
    Point<dim> first_candidate(const bool has_candidate, const Point<dim> &candidate, MPI_Comm communicator)
    {
      std::vector<std::pair<bool, Point<dim>>> all =
        Utilities::MPI::all_gather(communicator, std::make_pair(has_candidate, candidate));
      Point<dim> first;
      bool       found = false;
      for (const auto &[has, p] : all)
        if (has && (!found || lexicographically_before(p, first)))
          {
            first = p;
            found = true;
          }
      return first;
    }
  } // namespace

  template <int dim>
  typename Elasticity<dim>::StressSummary
  Elasticity<dim>::stress_summary(const std::set<types::material_id> &material_ids) const
  {
    const double lowest        = -std::numeric_limits<double>::max();
    double       max_principal = lowest, max_mises = lowest, max_p = lowest, min_p = std::numeric_limits<double>::max();
    Point<dim>   principal_at, mises_at;
    visit_stresses(QGauss<dim>(fe->degree + 1),
                   [&](const Point<dim> &x, const types::material_id id, const SymmetricTensor<2, 3> &s) {
                     if (!material_ids.empty() && material_ids.count(id) == 0)
                       return;
                     const double principal = eigenvalues(s)[0];
                     if (principal > max_principal)
                       {
                         max_principal = principal;
                         principal_at  = x;
                       }
                     const double mises = von_mises(s);
                     if (mises > max_mises)
                       {
                         max_mises = mises;
                         mises_at  = x;
                       }
                     max_p = std::max(max_p, trace(s) / 3);
                     min_p = std::min(min_p, trace(s) / 3);
                   });
    StressSummary summary;
    summary.max_principal = Utilities::MPI::max(max_principal, communicator);
    summary.max_von_mises = Utilities::MPI::max(max_mises, communicator);
    // Where the maxima are: of the points within 1e-6 of a maximum (the
    // symmetric features of a host tie), the first in coordinate order, so
    // that the location does not depend on the partition.
    const auto near = [](const double value, const double max) { return value >= max - 1e-6 * std::abs(max); };
    bool       principal_found = false, mises_found = false;
    visit_stresses(QGauss<dim>(fe->degree + 1), [&](const Point<dim> &x, const types::material_id id,
                                                    const SymmetricTensor<2, 3> &s) {
      if (!material_ids.empty() && material_ids.count(id) == 0)
        return;
      if (near(eigenvalues(s)[0], summary.max_principal) &&
          (!principal_found || lexicographically_before(x, principal_at)))
        {
          principal_at    = x;
          principal_found = true;
        }
      if (near(von_mises(s), summary.max_von_mises) && (!mises_found || lexicographically_before(x, mises_at)))
        {
          mises_at    = x;
          mises_found = true;
        }
    });
    summary.max_principal_location = first_candidate(principal_found, principal_at, communicator);
    summary.max_von_mises_location = first_candidate(mises_found, mises_at, communicator);
    summary.max_hydrostatic        = Utilities::MPI::max(max_p, communicator);
    summary.min_hydrostatic        = Utilities::MPI::min(min_p, communicator);
    return summary;
  }

  template <int dim>
  void Elasticity<dim>::update_stress_output()
  {
    stress_dofs.distribute_dofs(stress_fe);
    stress_output.reinit(stress_dofs.locally_owned_dofs(), communicator);
    const FiniteElement<dim>                              &base = stress_fe.base_element(0);
    const Quadrature<dim>                                  points(base.get_unit_support_points());
    std::vector<std::array<double, n_stress_outputs<dim>>> values;
    values.reserve(points.size());
    auto                                 cell = stress_dofs.begin_active();
    std::vector<types::global_dof_index> indices(stress_fe.n_dofs_per_cell());
    // visit_stresses() walks the owned cells in the same order as this loop.
    visit_stresses(points, [&](const Point<dim> &, const types::material_id, const SymmetricTensor<2, 3> &s) {
      values.push_back(stress_output_values<dim>(s));
      if (values.size() < points.size())
        return;
      while (!cell->is_locally_owned())
        ++cell;
      cell->get_dof_indices(indices);
      for (unsigned int i = 0; i < indices.size(); ++i)
        {
          const auto [component, point] = stress_fe.system_to_component_index(i);
          stress_output(indices[i])     = values[point][component];
        }
      values.clear();
      ++cell;
    });
    stress_output.compress(VectorOperation::insert);
  }

  template <int dim>
  void Elasticity<dim>::add_output(DataOut<dim> &data_out) const
  {
    data_out.add_data_vector(dofs, locally_relevant_solution, std::vector<std::string>(dim, "displacement"),
                             std::vector<DataComponentInterpretation::DataComponentInterpretation>(
                               dim, DataComponentInterpretation::component_is_part_of_vector));
    if (stress_dofs.has_active_dofs())
      data_out.add_data_vector(stress_dofs, stress_output, stress_field_names());
  }

  template <int dim>
  std::vector<std::string> Elasticity<dim>::stress_field_names()
  {
    std::vector<std::string> names = {"von_mises_stress", "hydrostatic_stress", "max_principal_stress",
                                      "stress_xx",        "stress_yy",          "stress_zz",
                                      "stress_xy"};
    if (dim == 3)
      names.insert(names.end(), {"stress_xz", "stress_yz"});
    return names;
  }

  template <int dim>
  SymmetricTensor<2, 3> Elasticity<dim>::stress_from_output(const Vector<double> &v)
  {
    // The inverse of stress_output_values() for the components.
    AssertDimension(v.size(), n_stress_outputs<dim>);
    SymmetricTensor<2, 3> s;
    s[0][0] = v[3];
    s[1][1] = v[4];
    s[2][2] = v[5];
    s[0][1] = v[6];
    if (dim == 3)
      {
        s[0][2] = v[7];
        s[1][2] = v[8];
      }
    return s;
  }

  template class Elasticity<2>;
  template class Elasticity<3>;
} // namespace dendra
