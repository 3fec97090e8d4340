#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/coupling/defect_deposit.h>
#include <dendra/kinetics/electrode_kinetics.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/quadrature.h>
#include <deal.II/fe/fe_nothing.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/fe/mapping_q.h>
#include <deal.II/dofs/dof_tools.h>

#include <iomanip>
#include <istream>
#include <ostream>

namespace dendra
{
  using namespace dealii;

  template <int dim>
  void DefectDeposit<dim>::Parameters::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Plating");
    prm.declare_entry("Deposit growth", "prescribed", Patterns::Selection("prescribed|faradaic"),
                      "How the Li plated into the initial deposit (a defect's filling) and the cracks it "
                      "opens grows: prescribed (Deposit volumetric eigenstrain) or faradaic (Plating current "
                      "density on the deposit's surface facing the electrolyte, spread over the Li region).");
    prm.declare_entry("Deposit volumetric eigenstrain", "0.02 * t", Patterns::Anything(),
                      "Prescribed growth: volumetric eigenstrain eps_v(t) (-) of the Li plated before the run "
                      "(the filling of an interfacial defect): the added volume fraction pressurising it.");
    prm.declare_entry("Plating current density", "10", Patterns::Double(),
                      "Faradaic growth: current density plating Li on the deposit's surface facing the "
                      "electrolyte (A/m^2), > 0; 10 A/m^2 = 1 mA/cm^2.");
    prm.declare_entry("Plating current", "fixed", Patterns::Selection("fixed|kinetics"),
                      "Faradaic growth: fixed = Plating current density; kinetics = the current of subsection "
                      "Plating/Kinetics (the shared kinetics module, i0 at its reference concentration; its "
                      "equilibrium potential is not used, eta_s is given) at the "
                      "Surface overpotential plus the mechanical overpotential Omega_Li p / F of the Li pressure p "
                      "(minus the mean hydrostatic stress of the Li region, from elasticity), updated after every "
                      "load step: plating stops at p = -F eta_s / Omega_Li.");
    prm.declare_entry("Surface overpotential", "-0.05", Patterns::Double(),
                      "Plating current = kinetics: overpotential eta_s of the deposit's surface facing the "
                      "electrolyte without the pressure term (V), < 0 plates.");
    ElectrodeKinetics::declare_parameters(prm);
    declare_moved_entry(prm, "Li molar volume", "Materials/Li metal/Molar volume");
    prm.declare_entry("Li model", "eigenstrain", Patterns::Selection("eigenstrain|pressurised filling"),
                      "eigenstrain: the plated Li strains the deposit's region as an eigenstrain (a stiff, confined "
                      "solid); pressurised filling: the Li fills the defect and its open cracks at a pressure p "
                      "that balances its volume with the cavity's (the defect's growth, the crack opening "
                      "-int u . grad d, the Li's compression), acting on the walls and crack faces and in the "
                      "kinetics (Coupling/Pressure balance solves for p; needs elasticity and electrostatics with "
                      "electrode kinetics, which give the plating current).");
    prm.declare_entry("Crack fill damage", "0.05", Patterns::Double(0, 1),
                      "Li model = pressurised filling: mean d (-) from which a cell of an open crack connected to "
                      "the defect fills with Li.");
    prm.declare_entry("Li flow stress", "0", Patterns::Double(0),
                      "Li model = pressurised filling: the Li pressure is capped at this flow stress (Pa), above "
                      "which Li flows out (extruded_volume); 0: no cap (confined Li holds GPa).");
    prm.declare_entry("Opening damage", "0.95", Patterns::Double(),
                      "Runs with damage: electrolyte cells whose mean damage exceeds this (-), in (0, 1], "
                      "fill with Li and join the deposit (a filament follows the crack).");
    prm.leave_subsection();
  }

  template <int dim>
  void DefectDeposit<dim>::Parameters::parse_parameters(ParameterHandler &prm, const MaterialLibrary &materials)
  {
    prm.enter_subsection("Plating");
    check_moved_entry(prm, "Li molar volume", "Plating/", "Materials/Li metal/Molar volume");
    growth = prm.get("Deposit growth") == "faradaic" ? Growth::faradaic : Growth::prescribed;
    prescribed_eigenstrain =
      parse_function<dim>({prm.get("Deposit volumetric eigenstrain")}, "Plating/Deposit volumetric eigenstrain");
    current_density       = prm.get_double("Plating current density");
    surface_overpotential = prm.get_double("Surface overpotential");
    if (prm.get("Plating current") == "kinetics")
      {
        require_input(growth == Growth::faradaic,
                      "Plating/Plating current = kinetics needs Plating/Deposit growth = faradaic");
        kinetics = ElectrodeKinetics::create(prm, materials.conditions().temperature);
      }
    molar_volume    = materials.by_name("Li metal", "Plating").molar_volume;
    opening_damage  = prm.get_double("Opening damage");
    pressurised_filling              = prm.get("Li model") == "pressurised filling";
    filling.crack_fill_damage        = prm.get_double("Crack fill damage");
    filling.flow_stress              = prm.get_double("Li flow stress");
    filling.molar_volume             = molar_volume;
    filling.bulk_modulus             = materials.by_name("Li metal", "Plating").bulk_modulus();
    require_input(!pressurised_filling || !kinetics,
                  "Plating/Li model = pressurised filling takes its current from electrostatics' electrode kinetics; "
                  "set Plating/Plating current = fixed");
    prm.leave_subsection();
    require_positive("Plating/", {{"Plating current density", current_density}});
    require_input(opening_damage > 0 && opening_damage <= 1,
                  "Plating/Opening damage = " + format_number(opening_damage) + " must lie in (0, 1]");
  }

  template <int dim>
  DefectDeposit<dim>::DefectDeposit(const parallel::distributed::Triangulation<dim> &triangulation,
                                    const Geometry<dim> &geometry, const Parameters &parameters)
    : triangulation(triangulation)
    , geometry(geometry)
    , parameters(parameters)
    , fe(0)
    , dofs(triangulation)
  {
    if (parameters.pressurised_filling)
      li_filling = std::make_unique<LiFilling<dim>>(triangulation, geometry, parameters.filling);
    commit(0); // the current of the start, at zero pressure
  }

  template <int dim>
  void DefectDeposit<dim>::provide_quantities(QuantityRegistry<dim> &registry) const
  {
    if (li_filling)
      {
        li_filling->provide_quantities(registry);
        return;
      }
    Quantity<dim> strain = make_fe_quantity<dim>(quantity_names::deposit_eigenstrain, "-", name(), dofs, in_region);
    // eps_v at the current time in R (the indicator is 1 there, 0 elsewhere).
    const auto indicator  = strain.make_evaluator;
    strain.make_evaluator = [this, indicator](const Quadrature<dim> &quadrature) {
      const auto in_r = indicator(quadrature);
      return CellEvaluator<dim>([this, in_r](const typename Triangulation<dim>::active_cell_iterator &cell,
                                             std::vector<Vector<double>>                             &values) {
        in_r(cell, values);
        for (auto &v : values)
          v[0] *= eigenstrain_at_set_time;
      });
    };
    registry.provide(strain);
  }

  template <int dim>
  void DefectDeposit<dim>::read_quantities(QuantityRegistry<dim> &registry)
  {
    if (li_filling)
      li_filling->read_quantities(registry);
    damage = registry.find(quantity_names::damage, name());
    if (parameters.kinetics) // the Li pressure: without it the kinetics would ignore the mechanics
      stress = &registry.require(quantity_names::stress, name());
  }

  template <int dim>
  double DefectDeposit<dim>::li_pressure() const
  {
    if (!stress || measure == 0)
      return 0;
    // The integral of sigma_h over R on the cells' (bi/tri)linear geometry, as |R|.
    const QGauss<dim>           quadrature(2);
    const MappingQ<dim>         mapping(1);
    const FE_Nothing<dim>       no_element; // FEValues keeps a pointer to it
    FEValues<dim>               geometry(mapping, no_element, quadrature, update_JxW_values);
    const CellEvaluator<dim>    stress_at = stress->make_evaluator(quadrature);
    std::vector<Vector<double>> values;
    double                      integral = 0;
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned() && in_r(cell))
        {
          geometry.reinit(typename Triangulation<dim>::cell_iterator(cell)); // the geometry only
          stress_at(cell, values);
          for (unsigned int q = 0; q < quadrature.size(); ++q)
            integral -= trace(symmetric_tensor_from_components(values[q])) / 3 * geometry.JxW(q);
        }
    return Utilities::MPI::sum(integral, triangulation.get_communicator()) / measure;
  }

  template <int dim>
  Vector<float> DefectDeposit<dim>::cell_damage() const
  {
    Assert(damage, ExcInternalError());
    return cell_means(*damage, triangulation);
  }

  template <int dim>
  void DefectDeposit<dim>::update_region(const bool with_filling)
  {
    dofs.distribute_dofs(fe);
    IndexSet relevant;
    DoFTools::extract_locally_relevant_dofs(dofs, relevant);
    const MPI_Comm communicator = triangulation.get_communicator();
    in_region.reinit(dofs.locally_owned_dofs(), relevant, communicator);
    unsigned int        fill_id = 0; // material of the initial deposit, plus one
    const Vector<float> d       = damage ? cell_damage() : Vector<float>();
    mark_region([&](const CellIterator &cell) {
      const bool initial = geometry.in_initial_deposit(cell->center());
      if (initial)
        fill_id = std::max<unsigned int>(fill_id, cell->material_id() + 1);
      return initial || (damage && opened(cell, d));
    });
    fill_id = Utilities::MPI::max(fill_id, communicator);
    fill    = fill_id > 0 ? static_cast<types::material_id>(fill_id - 1) : numbers::invalid_material_id;
    measure_region();
    if (li_filling && with_filling)
      li_filling->update_region();
  }

  template <int dim>
  bool DefectDeposit<dim>::opened(const CellIterator &cell, const Vector<float> &cell_damage) const
  {
    return cell_damage[cell->active_cell_index()] >= parameters.opening_damage;
  }

  template <int dim>
  bool DefectDeposit<dim>::grow_region()
  {
    if (!damage)
      return false;
    const Vector<float> d    = cell_damage();
    bool                grew = false;
    mark_region([&](const CellIterator &cell) {
      const bool adds = !in_r(cell) && opened(cell, d);
      grew |= adds;
      return in_r(cell) || adds;
    });
    if (!Utilities::MPI::logical_or(grew, triangulation.get_communicator()))
      return false;
    measure_region();
    return true;
  }

  template <int dim>
  bool DefectDeposit<dim>::in_r(const CellIterator &cell) const
  {
    return in_region[cell->dof_index(0)] > 0.5; // one DG0 DoF per cell
  }

  template <int dim>
  void DefectDeposit<dim>::mark_region(const std::function<bool(const CellIterator &)> &in_new_region)
  {
    // Evaluate on all owned cells first: the predicate may read the old R.
    LA::MPI::Vector values(dofs.locally_owned_dofs(), triangulation.get_communicator());
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        values(cell->dof_index(0)) = in_new_region(cell) ? 1.0 : 0.0;
    values.compress(VectorOperation::insert);
    in_region = values;
  }

  template <int dim>
  void DefectDeposit<dim>::measure_region()
  {
    // Li plates where R meets the electrolyte: not on faces against R or
    // against the fill material (the electrode the defect opens into).
    const auto exposed_to = [&](const CellIterator &neighbor) {
      return !in_r(neighbor) && neighbor->material_id() != fill;
    };
    double volume = 0, area = 0;
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned() && in_r(cell))
        {
          volume += cell->measure();
          for (const unsigned int f : cell->face_indices())
            {
              if (cell->at_boundary(f))
                continue;
              if (cell->face(f)->has_children())
                {
                  for (unsigned int sf = 0; sf < cell->face(f)->n_children(); ++sf)
                    if (exposed_to(cell->neighbor_child_on_subface(f, sf)))
                      area += cell->face(f)->child(sf)->measure();
                }
              else if (exposed_to(cell->neighbor(f)))
                area += cell->face(f)->measure();
            }
        }
    const MPI_Comm communicator = triangulation.get_communicator();
    measure                     = Utilities::MPI::sum(volume, communicator);
    exposed                     = Utilities::MPI::sum(area, communicator);
  }

  template <int dim>
  double DefectDeposit<dim>::plated_volume(const double time) const
  {
    if (!faradaic())
      return eigenstrain(time) * measure;
    return committed_volume + current_density * parameters.molar_volume / constants::faraday * exposed *
                                (time - committed_time);
  }

  template <int dim>
  double DefectDeposit<dim>::eigenstrain(const double time) const
  {
    if (!faradaic())
      {
        parameters.prescribed_eigenstrain->set_time(time);
        return parameters.prescribed_eigenstrain->value(Point<dim>());
      }
    return measure > 0 ? plated_volume(time) / measure : 0.0;
  }

  template <int dim>
  void DefectDeposit<dim>::commit(const double time)
  {
    if (li_filling && time > committed_time)
      li_filling->commit(time - committed_time, li_filling->measure());
    if (faradaic())
      committed_volume = plated_volume(time);
    committed_time  = time;
    current_density = parameters.current_density;
    if (parameters.kinetics)
      {
        pressure = li_pressure();
        const MechanicalOverpotential mechanical{MechanicalOverpotential::Form::hydrostatic, parameters.molar_volume};
        const double                  eta_mech = mechanical(-pressure * unit_symmetric_tensor<3>(), Tensor<1, 3>());
        current_density =
          -parameters.kinetics->current_density(parameters.surface_overpotential + eta_mech, parameters.kinetics->c_ref);
      }
  }

  template <int dim>
  void DefectDeposit<dim>::save_state(std::ostream &out) const
  {
    out << "deposit " << std::setprecision(17) << committed_volume << ' ' << committed_time << ' '
        << eigenstrain_at_set_time << ' ' << current_density << ' ' << pressure << '\n';
    if (li_filling)
      li_filling->save_state(out);
  }

  template <int dim>
  void DefectDeposit<dim>::load_state(std::istream &in)
  {
    std::string word;
    in >> word >> committed_volume >> committed_time >> eigenstrain_at_set_time >> current_density >> pressure;
    AssertThrow(word == "deposit", ExcMessage("a checkpoint's deposit state is damaged"));
    if (li_filling)
      li_filling->load_state(in);
  }

  template <int dim>
  void DefectDeposit<dim>::add_statistics(StatisticsTable &table, const double time) const
  {
    if (li_filling)
      {
        li_filling->add_statistics(table, li_filling->measure());
        return;
      }
    const std::string measure = dim == 2 ? "area" : "volume", unit = dim == 2 ? "m^2" : "m^3";
    table.add_value("deposit_eigenstrain", "", eigenstrain(time));
    table.add_value("plated_" + measure, unit, plated_volume(time));
    table.add_value("li_region_" + measure, unit, region_measure());
    if (parameters.kinetics)
      {
        table.add_value("deposit_pressure", "Pa", pressure);
        table.add_value("deposit_current_density", "A/m^2", current_density);
      }
  }

  template class DefectDeposit<2>;
  template class DefectDeposit<3>;
} // namespace dendra
