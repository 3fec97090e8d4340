#include <dendra/base/exceptions.h>
#include <dendra/base/profile.h>
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
#include <iomanip>
#include <istream>
#include <ostream>
#include <sstream>

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
    /// stress_field_names().
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
    prm.declare_entry("Li filling stiffness factor", "1e-6", Patterns::Double(0, 1),
                      "Factor (-) on the moduli of the cells of a pressurised Li filling (Plating/Li model = "
                      "pressurised filling), in (0, 1]: the Li pressure carries the load there, and the small "
                      "stiffness keeps the motion of those cells determined.");
    prm.enter_subsection("Plated lithium");
    prm.declare_entry("Growth eigenstrain", "1", Patterns::Double(0),
                      "eps_g (-): volume added per volume of Li plated in a deposition run (phase field xi), "
                      "relative to the initial metal; 1 = the plated Li takes all its volume from the surroundings.");
    prm.declare_entry("Growth mode", "volumetric", Patterns::Selection("volumetric|directional"),
                      "volumetric: eps* = eps_g (h(xi) - h(xi_0)) I / 3; directional: eps_g (h(xi) - h(xi_0)) n n "
                      "with n the growth direction (the plated layer thickens along n only).");
    declare_moved_entry(prm, "Stress-free phase", "Electrodeposition/Stress-free phase");
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
    LinearSolverSettings::declare_method(prm);
    prm.enter_subsection("Linear solver");
    LinearSolverSettings::declare_parameters(prm, elasticity_solver_defaults());
    prm.leave_subsection();
    prm.leave_subsection();
  }

  template <int dim>
  void Elasticity<dim>::declare_parameters(ParameterHandler &prm)
  {
    Parameters::declare_parameters(prm);
    prm.enter_subsection("Postprocess");
    prm.declare_entry("Stress summary materials", "LLZO", Patterns::Anything(),
                      "Comma-separated materials over which stress extremes are reported; empty = all. With "
                      "more than one, statistics.csv also has each one's maximum principal and von Mises stress.");
    prm.leave_subsection();
  }

  template <int dim>
  FieldMaker<dim> Elasticity<dim>::parse(ParameterHandler &prm, const FieldContext<dim> &context)
  {
    Parameters parameters;
    parameters.parse_parameters(prm, context.boundary_names);
    prm.enter_subsection("Postprocess");
    const std::string names = prm.get("Stress summary materials");
    prm.leave_subsection();
    std::map<types::material_id, std::string> labels;
    for (const auto &name : split_top_level(names, ','))
      if (!name.empty())
        {
          std::string label = name;
          std::replace(label.begin(), label.end(), ' ', '_');
          labels[context.materials.by_name(name, "Postprocess/Stress summary materials").id] = label;
        }
    return [parameters, labels, &context]() {
      auto field = std::make_unique<Elasticity<dim>>(context.triangulation, context.materials, parameters);
      field->set_summary_materials(labels);
      return field;
    };
  }

  template <int dim>
  void Elasticity<dim>::Parameters::parse_parameters(ParameterHandler &prm, const BoundaryNames &names)
  {
    prm.enter_subsection("Elasticity");
    degree                   = prm.get_integer("Polynomial degree");
    hybrid_damage            = prm.get("Damage split") == "hybrid";
    filling_stiffness_factor = prm.get_double("Li filling stiffness factor");
    require_input(filling_stiffness_factor > 0, "Elasticity/Li filling stiffness factor = 0: the filling's cells "
                                                "would have no stiffness; give a value in (0, 1]");
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
    growth_direction = direction / direction.norm();
    check_moved_entry(prm, "Stress-free phase", "Elasticity/Plated lithium/", "Electrodeposition/Stress-free phase");
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
    solver.parse_method(prm);
    prm.enter_subsection("Linear solver");
    solver.parse_parameters(prm);
    prm.leave_subsection();
    prm.leave_subsection();
  }

  /// The data of the points of one cell: the eigenstrain (3x3) from the
  /// parsed function (in the chosen materials), the deposit's eigenstrain and
  /// the plated Li, the Li fraction h(xi) that mixes the moduli, and the
  /// damage degradation, all from the coupled quantities the field reads.
  template <int dim>
  class Elasticity<dim>::PointData
  {
  public:
    PointData(const Elasticity<dim> &owner, const Quadrature<dim> &quadrature)
      : eigenstrain(quadrature.size())
      , owner(owner)
      , values(quadrature.size())
    {
      const auto evaluator = [&quadrature](const Quantity<dim> *q) {
        return q ? q->make_evaluator(quadrature) : CellEvaluator<dim>();
      };
      deposit_at         = evaluator(owner.deposit_eigenstrain);
      li_phase_at        = evaluator(owner.li_phase);
      plated_at          = evaluator(owner.plated_li);
      degradation_at     = evaluator(owner.degradation);
      li_pressure_at     = evaluator(owner.li_pressure);
      li_filling_at      = evaluator(owner.li_filling);
      li_crack_at        = evaluator(owner.li_crack);
      damage_gradient_at = evaluator(owner.damage_gradient);
      if (li_phase_at)
        inputs.li_fraction.resize(quadrature.size());
      degradation.resize(quadrature.size());
      filling_pressure.resize(quadrature.size());
      crack_force.resize(quadrature.size());
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
      if (deposit_at)
        {
          deposit_at(cell, coupled);
          for (unsigned int q = 0; q < values.size(); ++q)
            values[q] += coupled[q][0];
        }
      for (unsigned int q = 0; q < values.size(); ++q)
        eigenstrain[q] = values[q] / 3 * unit_symmetric_tensor<3>();
      if (li_phase_at)
        add_plated_li(cell);
      // Cells where g = 1 exactly (those that cannot damage) keep their stiffness.
      damaged = false;
      if (degradation_at)
        {
          degradation_at(cell, coupled);
          for (unsigned int q = 0; q < degradation.size(); ++q)
            {
              degradation[q] = coupled[q][0];
              damaged |= (degradation[q] != 1.0);
            }
        }
      add_li_pressure(cell);
    }

    /// The moduli of the cell's points in @p out: the materials', softened in
    /// a pressurised Li filling (its pressure carries the load instead).
    void evaluate_moduli(const MaterialLibrary &materials, MaterialOutputs &out) const
    {
      materials.evaluate(inputs, out);
      if (!in_filling)
        return;
      for (unsigned int q = 0; q < out.lame_lambda.size(); ++q)
        {
          out.lame_lambda[q] *= owner.parameters.filling_stiffness_factor;
          out.shear_modulus[q] *= owner.parameters.filling_stiffness_factor;
        }
    }

    std::vector<SymmetricTensor<2, 3>> eigenstrain;        ///< eps* (-) per point
    MaterialInputs                     inputs;             ///< for MaterialLibrary::evaluate()
    bool                               damaged = false;    ///< damage degrades the cell
    std::vector<double>                degradation;        ///< g(d) (-) per point, if damaged
    bool                               in_filling = false; ///< the cell is in a pressurised Li filling
    std::vector<double>                filling_pressure;   ///< p (Pa) per point in a filling, else 0
    /// -p chi grad d (N/m^3) per point: the crack-face pressure of Li in a crack band.
    std::vector<Tensor<1, dim>> crack_force;

  private:
    /// The Li pressure of a filling (p div v) and of a Li-filled crack band
    /// (-p chi v . grad d) at the cell's points.
    void add_li_pressure(const typename DoFHandler<dim>::active_cell_iterator &cell)
    {
      std::fill(filling_pressure.begin(), filling_pressure.end(), 0.0);
      std::fill(crack_force.begin(), crack_force.end(), Tensor<1, dim>());
      in_filling = false;
      if (li_filling_at)
        {
          li_filling_at(cell, coupled);
          in_filling = coupled[0][0] > 0.5; // a cell-wise indicator
        }
      if (!li_pressure_at)
        return;
      li_pressure_at(cell, coupled);
      for (unsigned int q = 0; q < coupled.size(); ++q)
        filling_pressure[q] = in_filling ? coupled[q][0] : 0.0;
      if (!li_crack_at || !damage_gradient_at)
        return;
      const std::vector<Vector<double>> pressure = coupled;
      li_crack_at(cell, coupled);
      if (coupled[0][0] < 0.5)
        return;
      damage_gradient_at(cell, coupled);
      for (unsigned int q = 0; q < coupled.size(); ++q)
        for (unsigned int k = 0; k < dim; ++k)
          crack_force[q][k] = -pressure[q][0] * coupled[q][k];
    }

    /// h(xi) with xi clamped to [0, 1] (it overshoots slightly near the interface).
    static double li_fraction(const double xi) { return phase_interpolation(std::clamp(xi, 0.0, 1.0)); }

    /// The growth eigenstrain of the plated Li, and the Li fraction of the moduli.
    void add_plated_li(const typename DoFHandler<dim>::active_cell_iterator &cell)
    {
      li_phase_at(cell, coupled);
      for (unsigned int q = 0; q < coupled.size(); ++q)
        inputs.li_fraction[q] = li_fraction(coupled[q][0]);
      if (!plated_at)
        return;
      plated_at(cell, coupled);
      const auto           &p = owner.parameters;
      SymmetricTensor<2, 3> shape; // eps* per unit plated fraction
      if (p.growth_directional)
        for (unsigned int i = 0; i < dim; ++i)
          for (unsigned int j = i; j < dim; ++j)
            shape[i][j] = p.growth_direction[i] * p.growth_direction[j];
      else
        shape = unit_symmetric_tensor<3>() / 3;
      for (unsigned int q = 0; q < coupled.size(); ++q)
        eigenstrain[q] += p.growth_strain * coupled[q][0] * shape;
    }

    const Elasticity<dim>      &owner;
    std::vector<double>         values;
    std::vector<Vector<double>> coupled;
    CellEvaluator<dim>          deposit_at, li_phase_at, plated_at, degradation_at;
    CellEvaluator<dim>          li_pressure_at, li_filling_at, li_crack_at, damage_gradient_at;
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
        const double g = point_data.degradation[q], mu = out.shear_modulus[q];
        const double bulk    = out.lame_lambda[q] + 2 * mu / 3;
        const bool   tension = parameters.hybrid_damage || trace(strains[q]) - trace(point_data.eigenstrain[q]) > 0;
        out.shear_modulus[q] = g * mu;
        out.lame_lambda[q]   = (tension ? g : 1.0) * bulk - 2 * g * mu / 3;
      }
  }

  template <int dim>
  void Elasticity<dim>::freeze_irreversible_coupling(const bool freeze)
  {
    split_frozen      = freeze;
    held_matrix_ready = false; // the stiffness follows another displacement now
    if (freeze)
      split_state = locally_relevant_solution;
  }

  template <int dim>
  bool Elasticity<dim>::affine_in(const std::string &quantity) const
  {
    return quantity == quantity_names::li_pressure &&
           (degradation == nullptr || parameters.hybrid_damage || split_frozen);
  }

  template <int dim>
  void Elasticity<dim>::hold_inputs_except(const std::string &varying)
  {
    pressure_only_varies = (varying == quantity_names::li_pressure);
    held_matrix_ready    = false; // assembled at the first solve of the hold
  }

  template <int dim>
  void Elasticity<dim>::release_inputs()
  {
    pressure_only_varies = false;
    held_matrix_ready    = false;
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
  void Elasticity<dim>::read_quantities(QuantityRegistry<dim> &registry)
  {
    quantities          = &registry;
    deposit_eigenstrain = registry.find(quantity_names::deposit_eigenstrain, name());
    li_phase            = registry.find(quantity_names::li_phase, name());
    plated_li           = li_phase ? registry.find(quantity_names::plated_li, name()) : nullptr;
    degradation         = registry.find(quantity_names::degradation, name());
    li_pressure         = registry.find(quantity_names::li_pressure, name());
    li_filling          = registry.find(quantity_names::li_filling, name());
    // Li-filled cracks need a damage field (its gradient makes the crack faces).
    damage_gradient = li_pressure ? registry.find(quantity_names::damage_gradient, name()) : nullptr;
    li_crack        = damage_gradient ? registry.find(quantity_names::li_crack, name()) : nullptr;
  }

  template <int dim>
  void Elasticity<dim>::provide_quantities(QuantityRegistry<dim> &registry) const
  {
    Quantity<dim> energy;
    energy.name     = quantity_names::tensile_energy;
    energy.unit     = "J/m^3";
    energy.provider = name();
    // psi+ = K/2 <tr eps>+^2 + mu dev eps : dev eps of the current
    // displacement, undegraded; each evaluator has its own scratch data.
    energy.make_evaluator = [this](const Quadrature<dim> &quadrature) {
      auto fe_values =
        std::make_shared<FEValues<dim>>(mapping, *fe, quadrature, update_gradients | update_quadrature_points);
      auto point_data = std::make_shared<PointData>(*this, quadrature);
      auto strains    = std::make_shared<std::vector<SymmetricTensor<2, dim>>>(quadrature.size());
      auto out        = std::make_shared<MaterialOutputs>();
      out->resize(quadrature.size());
      return CellEvaluator<dim>(
        [this, fe_values, point_data, strains, out](const typename Triangulation<dim>::active_cell_iterator &cell,
                                                    std::vector<Vector<double>>                             &psi) {
          const auto dof_cell = same_cell<dim>(cell, dofs);
          fe_values->reinit(dof_cell);
          (*fe_values)[FEValuesExtractors::Vector(0)].get_function_symmetric_gradients(locally_relevant_solution,
                                                                                       *strains);
          point_data->evaluate(dof_cell, fe_values->get_quadrature_points());
          point_data->evaluate_moduli(materials, *out);
          psi.resize(strains->size());
          for (unsigned int q = 0; q < strains->size(); ++q)
            {
              SymmetricTensor<2, 3> elastic = -point_data->eigenstrain[q];
              for (unsigned int i = 0; i < dim; ++i)
                for (unsigned int j = i; j < dim; ++j)
                  elastic[i][j] += (*strains)[q][i][j];
              const double mu = out->shear_modulus[q], bulk = out->lame_lambda[q] + 2 * mu / 3;
              const double tr  = std::max(trace(elastic), 0.0);
              const auto   dev = deviator(elastic);
              psi[q].reinit(1);
              psi[q][0] = 0.5 * bulk * tr * tr + mu * (dev * dev);
            }
        });
    };
    registry.provide(energy);
    // The stress output fields xx, yy, zz, xy[, xz, yz] as six components.
    const auto full_tensor = [](const typename Triangulation<dim>::active_cell_iterator &, Vector<double> &v) {
      Vector<double> six(6);
      for (unsigned int c = 0; c < v.size(); ++c)
        six[c] = v[c];
      v = six;
    };
    registry.provide(make_fe_quantity<dim>(quantity_names::stress, "Pa", name(), stress_dofs, stress_output, 3,
                                           dim == 2 ? 4 : 6, full_tensor));
    registry.provide(
      make_fe_quantity<dim>(quantity_names::displacement, "m", name(), dofs, locally_relevant_solution, 0, dim));
    // tr eps = div u: the trace of the displacement gradient.
    const auto trace_of_gradient = [](const typename Triangulation<dim>::active_cell_iterator &, Vector<double> &v) {
      double trace = 0;
      for (unsigned int k = 0; k < dim; ++k)
        trace += v[k * dim + k];
      v.reinit(1);
      v[0] = trace;
    };
    registry.provide(make_fe_gradient_quantity<dim>(quantity_names::volumetric_strain, "-", name(), dofs,
                                                    locally_relevant_solution, 0, dim, trace_of_gradient));
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
    held_matrix_ready = false;
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
  void Elasticity<dim>::assemble_system(LA::MPI::Vector *residual, const bool keep_matrix)
  {
    const profile::Section section(keep_matrix ? "assembly: elasticity (load only)" : "assembly: elasticity");
    Timer                  timer;
    if (residual)
      *residual = 0;
    else
      {
        if (!keep_matrix) // a kept matrix stays untouched, so a direct solver keeps its factors
          system_matrix = 0;
        system_rhs = 0;
      }
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
    Vector<double>                       cell_rhs(n), cell_displacement(n), cell_residual(n);
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
          if (materials.by_id(cell->material_id()).young_modulus <= 0) // the message only then: a hot loop
            throw InputError("Elasticity: material '" + materials.by_id(cell->material_id()).name +
                             "' has Young's modulus 0 (a fluid); every cell must be a solid");
          point_data.evaluate(cell, fe_values.get_quadrature_points());
          point_data.evaluate_moduli(materials, out);
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
                  // Li pressure: p div v in a filling (= the wall traction p n on the
                  // cavity's boundary), -p chi v . grad d in a Li-filled crack band.
                  cell_rhs(i) += (point_data.filling_pressure[q] * div[i] +
                                  point_data.crack_force[q][c] * fe_values.shape_value(i, q)) *
                                 dx;
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
          if (residual)
            {
              // K_e u_e - f_e with the constrained values of u; the free rows it condenses to.
              cell->get_dof_values(locally_relevant_solution, cell_displacement);
              cell_matrix.vmult(cell_residual, cell_displacement);
              cell_residual -= cell_rhs;
              zero_constraints.distribute_local_to_global(cell_residual, indices, *residual);
            }
          else if (keep_matrix) // the cell matrix still carries prescribed displacements into f
            constraints.distribute_local_to_global(cell_rhs, indices, system_rhs, cell_matrix);
          else
            add_cell_contribution(constraints, cell_matrix, cell_rhs, indices, system_matrix, system_rhs);
        }
    if (residual)
      residual->compress(VectorOperation::add);
    else
      {
        if (!keep_matrix)
          system_matrix.compress(VectorOperation::add);
        system_rhs.compress(VectorOperation::add);
      }
    last_assembly_time = timer.wall_time();
  }

  template <int dim>
  SolverReport Elasticity<dim>::solve()
  {
    this->make_constraints(); // displacement data may depend on time
    // Within a hold on all but the Li pressure, K does not change while the
    // displacement is affine in p: only the first solve assembles it (what
    // could change affine_in(), the split's freezing, forgets the matrix).
    assemble_system(nullptr, held_matrix_ready);
    held_matrix_ready = pressure_only_varies && affine_in(quantity_names::li_pressure);
    LA::MPI::Vector    distributed(locally_owned, communicator);
    const bool         direct = parameters.solver.method == "direct";
    const SolverReport report =
      solve_linear(system_matrix, distributed, system_rhs, parameters.solver, "Elasticity", direct_solver,
                   direct ? std::vector<LA::MPI::Vector>() : rigid_body_modes(dofs, communicator), dim);
    constraints.distribute(distributed);
    locally_relevant_solution = distributed;
    this->last_report         = report;
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
          point_data.evaluate_moduli(materials, out);
          apply_damage(strains, point_data, out);
          // In a Li filling the pressure is the stress: sigma = C eps - p I.
          for (unsigned int q = 0; q < quadrature.size(); ++q)
            visit(fe_values.quadrature_point(q), cell->material_id(),
                  full_stress<dim>(strains[q], out.lame_lambda[q], out.shear_modulus[q], point_data.eigenstrain[q]) -
                    point_data.filling_pressure[q] * unit_symmetric_tensor<3>());
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
  void Elasticity<dim>::begin_newton_block()
  {
    this->make_constraints(); // displacement data may depend on time
    this->make_zero_constraints(zero_constraints);
    LA::MPI::Vector owned(locally_owned, communicator);
    owned = locally_relevant_solution;
    this->set_solution(owned);
    diagonal_set      = false; // by the first Jacobian of the solve
    held_matrix_ready = false; // the Newton block assembles its own Jacobians
    this->last_report = SolverReport();
  }

  template <int dim>
  void Elasticity<dim>::newton_block_residual(LA::MPI::Vector &residual, const bool with_jacobian)
  {
    if (with_jacobian || !diagonal_set)
      {
        // K depends on the Li phase and the damage the other fields publish.
        assemble_system();
        if (parameters.solver.method != "direct")
          block_amg.initialize_system(system_matrix, rigid_body_modes(dofs, communicator), dim, parameters.solver);
        if (!diagonal_set)
          {
            diagonal_set = true;
            row_diagonal.reinit(locally_owned, communicator);
            inverse_diagonal.reinit(locally_owned, communicator);
            for (const auto i : locally_owned)
              if (!constraints.is_constrained(i))
                {
                  row_diagonal(i)     = system_matrix.diag_element(i);
                  inverse_diagonal(i) = 1 / system_matrix.diag_element(i);
                }
            row_diagonal.compress(VectorOperation::insert);
            inverse_diagonal.compress(VectorOperation::insert);
          }
      }
    residual.reinit(locally_owned, communicator);
    assemble_system(&residual); // K(u) u - f, cell by cell: the matrix stays that of the last Jacobian
    residual.scale(inverse_diagonal);
  }

  template <int dim>
  void Elasticity<dim>::newton_block_solve(const LA::MPI::Vector &r, LA::MPI::Vector &z)
  {
    LA::MPI::Vector rhs(r);
    rhs.scale(row_diagonal); // back to forces (N); zero on constrained rows
    z.reinit(locally_owned, communicator);
    const SolverReport report =
      parameters.solver.method == "direct"
        ? direct_solver.solve(system_matrix, z, rhs, "Elasticity (Newton block)")
        : solve_cg(system_matrix, z, rhs, block_amg, parameters.solver, "Elasticity (Newton block)");
    this->last_report.iterations += report.iterations; // the step's CG iterations
  }

  template <int dim>
  void Elasticity<dim>::publish()
  {
    stress_stale = true;
    if (quantities && quantities->is_read(quantity_names::stress))
      update_stress_output();
  }

  template <int dim>
  void Elasticity<dim>::update_stress_output() const
  {
    stress_stale = false;
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
    if (stress_stale)
      update_stress_output();
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
  std::vector<std::pair<std::string, std::string>> Elasticity<dim>::probe_quantities() const
  {
    std::vector<std::pair<std::string, std::string>> quantities;
    for (unsigned int d = 0; d < dim; ++d)
      quantities.emplace_back(std::string("displacement_") + "xyz"[d], "m");
    for (const auto &name : stress_field_names())
      quantities.emplace_back(name, "Pa");
    return quantities;
  }

  template <int dim>
  std::vector<std::vector<double>> Elasticity<dim>::probe(const Probes<dim> &probes) const
  {
    if (stress_stale)
      update_stress_output();
    auto       values = probes.evaluate(mapping, dofs, locally_relevant_solution);
    const auto stress = probes.evaluate(mapping, stress_dofs, stress_output);
    for (unsigned int p = 0; p < values.size(); ++p)
      values[p].insert(values[p].end(), stress[p].begin(), stress[p].end());
    return values;
  }

  template <int dim>
  void Elasticity<dim>::set_summary_materials(const std::map<types::material_id, std::string> &labels)
  {
    summary_labels = labels;
  }

  template <int dim>
  void Elasticity<dim>::add_statistics(StatisticsTable &s, const BoundaryLabels &)
  {
    s.add_value("elasticity_dofs", "", this->n_dofs());
    s.add_value("elasticity_cg_iterations", "", this->last_report.iterations);
    std::set<types::material_id> ids;
    for (const auto &[id, label] : summary_labels)
      ids.insert(id);
    const auto summary = stress_summary(ids);
    peak_max_principal = std::max(peak_max_principal, summary.max_principal);
    s.add_value("max_principal_stress", "Pa", summary.max_principal);
    const char *axes = "xyz";
    for (unsigned int d = 0; d < dim; ++d)
      s.add_value(std::string("max_principal_stress_") + axes[d], "m", summary.max_principal_location[d]);
    s.add_value("max_von_mises_stress", "Pa", summary.max_von_mises);
    s.add_value("min_hydrostatic_stress", "Pa", summary.min_hydrostatic);
    s.add_value("max_hydrostatic_stress", "Pa", summary.max_hydrostatic);
    // Several materials: each one's share, to see which carries the stress.
    if (summary_labels.size() > 1)
      for (const auto &[id, label] : summary_labels)
        {
          const auto own = stress_summary({id});
          s.add_value("max_principal_stress_" + label, "Pa", own.max_principal);
          s.add_value("max_von_mises_stress_" + label, "Pa", own.max_von_mises);
        }
  }

  template <int dim>
  std::string Elasticity<dim>::summary(const BoundaryLabels &) const
  {
    std::set<types::material_id> ids;
    std::string                  where;
    for (const auto &[id, label] : summary_labels)
      {
        ids.insert(id);
        where += (where.empty() ? "" : ", ") + materials.by_id(id).name;
      }
    if (where.empty())
      where = "all materials";
    const auto summary = stress_summary(ids);
    const auto point   = [](const Point<dim> &p) {
      std::ostringstream out;
      out << "(" << std::setprecision(4);
      for (unsigned int d = 0; d < dim; ++d)
        out << (d ? ", " : "") << p[d] / 1e-6;
      out << ")";
      return out.str();
    };
    std::ostringstream text;
    text << std::setprecision(4) << "Maximum principal stress in " << where << ": " << summary.max_principal / 1e6
         << " MPa at " << point(summary.max_principal_location) << " um\n"
         << "Maximum von Mises stress in " << where << ": " << summary.max_von_mises / 1e6 << " MPa at "
         << point(summary.max_von_mises_location) << " um";
    return text.str();
  }

  template <int dim>
  std::string Elasticity<dim>::progress() const
  {
    return "u: " + std::to_string(this->n_dofs()) + " dofs, " + std::to_string(this->last_report.iterations) + " CG it";
  }

  template <int dim>
  void Elasticity<dim>::save_state(std::ostream &out) const
  {
    Field<dim>::save_state(out);
    out << peak_max_principal << '\n';
  }

  template <int dim>
  void Elasticity<dim>::load_state(std::istream &in)
  {
    Field<dim>::load_state(in);
    in >> peak_max_principal;
  }

  DENDRA_REGISTER_FIELD(Elasticity, "elasticity", 20,
                        "linear elasticity with eigenstrains (subsection Elasticity); plated Li strains the solid "
                        "and its stress enters the kinetics of a transient field, staggered within each step.")

  template class Elasticity<2>;
  template class Elasticity<3>;
} // namespace dendra
