#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/base/profile.h>
#include <dendra/coupling/coupled_step.h>

#include <algorithm>
#include <limits>
#include <optional>

namespace dendra
{
  using namespace dealii;

  namespace
  {
    /// A CoupledGroup from callables (the groups of fields of one step).
    class GroupOfCallbacks : public CoupledGroup
    {
    public:
      std::function<void(unsigned int)>            sweep_fields;
      std::function<LA::MPI::Vector()>             state;
      std::function<void(const LA::MPI::Vector &)> set_state;

      void            sweep(const unsigned int pass) override { sweep_fields(pass); }
      LA::MPI::Vector interface_state() const override { return state(); }
      void            set_interface_state(const LA::MPI::Vector &x) override { set_state(x); }
    };

    /// An IrreversibleStep from callables.
    class StepOfCallbacks : public IrreversibleStep
    {
    public:
      std::function<void(double, double)> solve;
      std::function<void()>               back_to_committed;

      void solve_to(const double start, const double target) override { solve(start, target); }
      void reset() override { back_to_committed(); }
    };

    /// The owned entries of the ghosted @p state.
    LA::MPI::Vector owned_copy(const LA::MPI::Vector &state)
    {
      LA::MPI::Vector owned(state.locally_owned_elements(), state.get_mpi_communicator());
      owned = state;
      return owned;
    }

    /// The fields of one time step as one Newton system (the monolithic
    /// scheme), in scaled unknowns y_b = x_b / s_b and residuals F_b = R_b /
    /// s_b per field b (R_b already in the units of its unknowns), s_b the
    /// largest magnitude of the field's unknowns at the start: every field
    /// counts alike in the norms of GMRES, the line search and the
    /// convergence test, and dF_b/dy_b is the field's own block, so its
    /// block solve preconditions unscaled.
    template <int dim>
    class FieldsAsOneSystem : public CoupledSystem
    {
    public:
      explicit FieldsAsOneSystem(const std::vector<Field<dim> *> &fields)
        : fields(fields)
      {
        for (Field<dim> *field : fields)
          field->publish(); // the data of the start, for the corrections below
        for (Field<dim> *field : fields)
          {
            double size = owned_copy(field->solution()).linfty_norm();
            if (size == 0)
              {
                // A field at rest is measured by its first correction (else in its units).
                LA::MPI::Vector r, z;
                field->newton_block_residual(r, true);
                field->newton_block_solve(r, z);
                size = z.linfty_norm() > 0 ? z.linfty_norm() : 1.0;
              }
            scale.push_back(size);
          }
      }

      LA::MPI::BlockVector state() const override
      {
        std::vector<IndexSet> owned;
        for (const Field<dim> *field : fields)
          owned.push_back(field->solution().locally_owned_elements());
        LA::MPI::BlockVector y(owned, fields.front()->solution().get_mpi_communicator());
        for (unsigned int b = 0; b < fields.size(); ++b)
          {
            y.block(b) = fields[b]->solution();
            y.block(b) *= 1.0 / scale[b];
          }
        return y;
      }

      void set_state(const LA::MPI::BlockVector &y) override
      {
        for (unsigned int b = 0; b < fields.size(); ++b)
          {
            LA::MPI::Vector x(y.block(b));
            x *= scale[b];
            fields[b]->set_solution(x);
          }
        for (Field<dim> *field : fields) // what each publishes depends on the others' blocks too
          field->publish();
      }

      void residual(LA::MPI::BlockVector &r) override
      {
        // The first residual of the solve assembles the Jacobians at its state too.
        const bool first = jacobian_at.n_blocks() == 0;
        for (unsigned int b = 0; b < fields.size(); ++b)
          {
            fields[b]->newton_block_residual(r.block(b), first);
            r.block(b) *= 1.0 / scale[b];
          }
        if (first)
          jacobian_at = state();
      }

      void precondition(const LA::MPI::BlockVector &r, LA::MPI::BlockVector &z) override
      {
        // The fields' Jacobians at the current iterate, assembled once per iterate.
        LA::MPI::BlockVector change = state();
        change -= jacobian_at;
        if (change.linfty_norm() > 0)
          {
            LA::MPI::BlockVector unused(r);
            for (unsigned int b = 0; b < fields.size(); ++b)
              fields[b]->newton_block_residual(unused.block(b), true);
            jacobian_at += change;
          }
        for (unsigned int b = 0; b < fields.size(); ++b)
          fields[b]->newton_block_solve(r.block(b), z.block(b));
      }

    private:
      std::vector<Field<dim> *> fields;
      std::vector<double>       scale;       ///< s_b: largest |unknown| of each field at the start
      LA::MPI::BlockVector      jacobian_at; ///< the iterate of the fields' last Jacobians (scaled)
    };

    template <int dim>
    bool contains(const std::vector<Field<dim> *> &list, const Field<dim> *field)
    {
      return std::find(list.begin(), list.end(), field) != list.end();
    }
  } // namespace

  template <int dim>
  CoupledStep<dim>::CoupledStep(const std::vector<std::unique_ptr<Field<dim>>> &fields,
                                const QuantityRegistry<dim> &quantities, const CouplingParameters &coupling,
                                DefectDeposit<dim> &deposit)
    : coupling(coupling)
    , deposit(deposit)
  {
    for (const auto &field : fields)
      {
        if (auto *t = dynamic_cast<TransientField<dim> *>(field.get()))
          transient = t;
        else
          quasi_static.push_back(field.get());
        if (auto *i = dynamic_cast<IrreversibleField<dim> *>(field.get()))
          {
            if (irreversible)
              throw InputError("Simulation/Fields: '" + irreversible->name() + "' and '" + i->name() +
                               "' are both irreversible; one fracture scheme drives one of them, choose one");
            irreversible = i;
          }
      }
    // The schemes' partners: who exchanges quantities with whom.
    for (Field<dim> *field : quasi_static)
      {
        if (irreversible && field != irreversible && quantities.reads_from(irreversible->name(), field->name()))
          fracture_partners.push_back(field);
        if (transient && (quantities.reads_from(transient->name(), field->name()) ||
                          quantities.reads_from(field->name(), transient->name())))
          step_partners.push_back(field);
      }
    if (step_partners.size() > 1)
      throw InputError("Simulation/Fields: the transient field '" + transient->name() +
                       "' exchanges quantities with more than one quasi-static field; the staggered scheme relaxes "
                       "one partner's state, so this combination is not supported");
    if (irreversible && contains<dim>(step_partners, irreversible))
      throw InputError("Simulation/Fields: the transient field '" + transient->name() +
                       "' exchanges quantities with '" + irreversible->name() +
                       "', which only the fracture scheme can solve (it commits)");
    // A field solved on its own reads what fields solved before it provide.
    for (std::size_t i = 0; i < quasi_static.size(); ++i)
      for (std::size_t j = i + 1; j < quasi_static.size(); ++j)
        {
          const auto in_group = [&](const Field<dim> *field) {
            return field == irreversible || contains<dim>(fracture_partners, field) ||
                   contains<dim>(pressure_partners, field);
          };
          const bool same_group = irreversible && in_group(quasi_static[i]) && in_group(quasi_static[j]);
          AssertThrow(same_group || !quantities.reads_from(quasi_static[i]->name(), quasi_static[j]->name()),
                      ExcMessage("field '" + quasi_static[i]->name() + "' reads from '" + quasi_static[j]->name() +
                                 "', which is solved after it: give it a higher rank in DENDRA_REGISTER_FIELD"));
        }
    for (Field<dim> *field : quasi_static)
      if (quantities.reads_from(field->name(), DefectDeposit<dim>::name()))
        deposit_readers.push_back(field);
    if (deposit.filling())
      for (Field<dim> *field : quasi_static)
        if (field != irreversible && (quantities.reads_from(field->name(), LiFilling<dim>::name()) ||
                                      quantities.reads_from(LiFilling<dim>::name(), field->name())))
          pressure_partners.push_back(field);
    if (coupling.scheme == "monolithic")
      {
        if (!transient || step_partners.empty())
          throw InputError("Coupling/Scheme = monolithic: it solves a transient field with the quasi-static field it "
                           "exchanges quantities with in one Newton system, and this run has no such pair (e.g. "
                           "Simulation/Fields = deposition, elasticity); use staggered");
        for (const Field<dim> *field : {static_cast<Field<dim> *>(transient), step_partners.front()})
          if (!field->has_newton_block())
            throw InputError("Coupling/Scheme = monolithic: field '" + field->name() +
                             "' cannot share a Newton system (it has no Newton block); use staggered");
      }
  }

  template <int dim>
  void CoupledStep<dim>::solve_at(Field<dim> &field, const double time)
  {
    const profile::Section section("solve: " + field.name());
    if (contains<dim>(deposit_readers, &field))
      deposit.set_time(time); // the eigenstrain of the deposit at this time
    field.set_time(time);
    field.solve();
  }

  template <int dim>
  void CoupledStep<dim>::solve_fields(const double time)
  {
    // Rank order: mechanics before the fields that read the damage of this step.
    // Each field publishes once it is final, for the fields solved after it.
    pressure_evaluations = 0;
    balance_slope        = 0;     // from this step's balances only, so that a resumed run repeats them
    bool balanced        = false; // without an irreversible field: once, at the first pressure partner
    for (Field<dim> *field : quasi_static)
      if (field == irreversible)
        solve_fracture(time);
      else if (contains(pressure_partners, field))
        {
          if (!irreversible && !balanced)
            balance_pressure(time);
          balanced = true;
        }
      else if (!contains(fracture_partners, field) && !contains(step_partners, field))
        {
          solve_at(*field, time);
          field->publish();
        }
  }

  namespace
  {
    /// A ScalarBalance from a callable.
    class BalanceOfCallback : public ScalarBalance
    {
    public:
      std::function<double(double)> evaluate;
      double                        residual(const double p) override { return evaluate(p); }
    };
  } // namespace

  namespace
  {
    /// The line through a field's solutions at the last two distinct trial
    /// pressures of a balance. For a field affine in the Li pressure it is
    /// the solution at any other pressure (exact to the tolerance of the
    /// solves), for any other field the start of its next solve (fewer
    /// Newton steps than from the last trial alone).
    struct TrialLine
    {
      double                         base_pressure   = 0; ///< Pa: of the older solution
      double                         newest_pressure = 0; ///< Pa: of the newer solution
      std::optional<LA::MPI::Vector> base;                ///< the older solution (owned entries)
      std::optional<LA::MPI::Vector> slope;               ///< d solution / dp between the two

      /// The line at @p p, if two solutions are known.
      bool at(const double p, LA::MPI::Vector &x) const
      {
        if (!slope)
          return false;
        x = *base;
        x.add(p - base_pressure, *slope);
        return true;
      }

      /// Takes @p solution, solved at @p p (a pressure not yet kept), as the newer one.
      void keep(const double p, const LA::MPI::Vector &solution)
      {
        if (!base)
          {
            base_pressure = newest_pressure = p;
            base.emplace(owned_copy(solution));
            return;
          }
        if (p == newest_pressure)
          return;
        if (slope) // the newer solution becomes the base
          {
            base->add(newest_pressure - base_pressure, *slope);
            base_pressure = newest_pressure;
          }
        slope.emplace(owned_copy(solution));
        *slope -= *base;
        *slope *= 1.0 / (p - base_pressure);
        newest_pressure = p;
      }
    };

    /// Holds the inputs of @p fields except @p varying while it lives (Field::hold_inputs_except()).
    template <int dim>
    class InputsHeld
    {
    public:
      InputsHeld(const std::vector<Field<dim> *> &fields, const std::string &varying)
        : fields(fields)
      {
        for (Field<dim> *field : fields)
          field->hold_inputs_except(varying);
      }
      ~InputsHeld()
      {
        for (Field<dim> *field : fields)
          field->release_inputs();
      }
      InputsHeld(const InputsHeld &)            = delete;
      InputsHeld &operator=(const InputsHeld &) = delete;

    private:
      const std::vector<Field<dim> *> &fields;
    };
  } // namespace

  template <int dim>
  void CoupledStep<dim>::balance_pressure(const double time)
  {
    const profile::Section section("pressure balance");
    LiFilling<dim>        &filling = *deposit.filling();
    const InputsHeld<dim>  held(pressure_partners, quantity_names::li_pressure);
    BalanceOfCallback      balance;
    // The partners' affinity in p holds for the whole balance (nothing else changes).
    std::vector<bool> affine;
    for (const Field<dim> *field : pressure_partners)
      affine.push_back(field->affine_in(quantity_names::li_pressure));
    std::vector<TrialLine> lines(pressure_partners.size());
    balance.evaluate = [&](const double p) {
      filling.set_pressure(p);
      for (std::size_t i = 0; i < pressure_partners.size(); ++i)
        {
          Field<dim>     &field = *pressure_partners[i];
          LA::MPI::Vector on_line;
          const bool      known = lines[i].at(p, on_line);
          if (known)
            field.set_solution(on_line); // the solution, or the start of the solve
          if (!known || !affine[i])
            {
              solve_at(field, time);
              lines[i].keep(p, field.solution());
            }
          field.publish();
        }
      return filling.balance_residual(step_length, filling.measure());
    };
    const double cap   = filling.get_parameters().flow_stress;
    const double slope = balance_slope;
    balance_slope      = 0; // kept only if this balance succeeds
    const auto report  = PressureBalance(coupling.pressure_balance)
                          .solve(balance, filling.pressure(), 1e6, filling.li_volume(), 0,
                                 cap > 0 ? cap : std::numeric_limits<double>::max(),
                                 "the Li pressure of the filling at t = " + format_number(time) + " s", slope);
    pressure_evaluations += report.evaluations;
    if (report.slope < 0)
      balance_slope = report.slope; // the balances of a step's passes differ little
  }

  template <int dim>
  void CoupledStep<dim>::solve_fracture_partners(const double time)
  {
    if (deposit.filling())
      {
        deposit.filling()->grow_cracks(); // Li enters the cracks that opened in this pass
        balance_pressure(time);
      }
    for (Field<dim> *field : fracture_partners)
      if (!contains(pressure_partners, field))
        solve_at(*field, time);
  }

  template <int dim>
  void CoupledStep<dim>::solve_fracture(const double time)
  {
    // Settle the group for the current Li region; cells that crack meanwhile
    // join the region (Li follows into them, which changes the plated volume
    // and its pressure) and the group is settled again, until the region
    // stays. The region is thus implicit in the step rather than a step
    // behind. Then commit: this step's damage bounds that of later ones.
    staggered_iterations = 0;
    settle_fracture_group(time);
    const unsigned int region_passes = coupling.region_passes; // 0: the region follows after the commit
    if (region_passes > 0)
      for (unsigned int pass = 1; deposit.grow_region(); ++pass)
        {
          AssertThrow(pass < region_passes, ExcMessage("the Li region still grew into cracks after Coupling/Alternate "
                                                       "minimisation/Region passes = " +
                                                       std::to_string(region_passes)));
          settle_fracture_group(time);
        }
    // The stress of the settled damage, with the tension-compression split
    // of the last pass frozen: every trial pressure of the balance then
    // solves the same linear problem (an unfrozen split would follow the
    // previous trial's displacement, and the volume residual would depend on
    // the order of the trials rather than on the pressure alone).
    while_frozen([&]() { solve_fracture_partners(time); });
    irreversible->commit();
    deposit.update_region(false); // the region of the committed damage; the filling's chi stays the balanced one
    // Published with the region of the committed damage, as the output has it.
    for (Field<dim> *field : fracture_partners)
      field->publish();
    for (Field<dim> *field : pressure_partners)
      field->publish();
    irreversible->publish();
  }

  template <int dim>
  void CoupledStep<dim>::settle_fracture_group(const double time)
  {
    const profile::Section section("staggered passes");
    // Alternate minimisation: the partners, then the irreversible field,
    // until it settles. The partners evaluate what depends on it at its
    // committed state (a lag of one step) so that the passes minimise one
    // energy and converge.
    GroupOfCallbacks group;
    group.sweep_fields = [&](unsigned int) {
      solve_fracture_partners(time);
      solve_at(*irreversible, time);
    };
    group.state = [&]() { return owned_copy(irreversible->solution()); };
    std::string what;
    for (const Field<dim> *field : fracture_partners)
      what += field->name() + " and ";
    what += irreversible->name();
    while_frozen([&]() {
      staggered_iterations += StaggeredIteration(coupling.alternate_minimisation).solve(group, what).iterations;
    });
  }

  template <int dim>
  void CoupledStep<dim>::while_frozen(const std::function<void()> &solve)
  {
    const auto freeze = [&](const bool on) {
      for (Field<dim> *field : fracture_partners)
        field->freeze_irreversible_coupling(on);
    };
    freeze(true);
    try
      {
        solve();
      }
    catch (...)
      {
        freeze(false);
        throw;
      }
    freeze(false);
  }

  template <int dim>
  void CoupledStep<dim>::advance_quasi_static(const double start, const double time, const Adaptation &adaptation,
                                              const std::function<void(const std::string &)> &log)
  {
    // With an irreversible field a failed staggered solve (a crack running
    // in one step) is retried from the committed state over half the
    // remaining increment.
    redo_on_finer_mesh = irreversible && adaptation.redo_limit > 0;
    mesh_redos         = 0;
    StepOfCallbacks step;
    step.solve = [&](const double reached, const double target) {
      step_length = target - reached;
      if (irreversible)
        irreversible->set_time_step(target - reached);
      for (unsigned int cycle = 0; cycle < adaptation.cycles; ++cycle)
        {
          solve_fields(target);
          adaptation.adapt();
        }
      solve_fields(target);
      // A crack that ran into cells coarser than it wants: refine around the
      // new damage and solve the step again from the state before it.
      for (unsigned int redo = 0; redo_on_finer_mesh && redo < adaptation.redo_limit && adaptation.under_resolved();
           ++redo)
        {
          adaptation.adapt();
          irreversible->undo_commit();
          deposit.reset();
          deposit.update_region();
          ++mesh_redos;
          log("  t = " + format_number(target) + " s: damage on cells coarser than its target after " +
              std::to_string(staggered_iterations) + " staggered passes; the step is solved again on the refined mesh");
          solve_fields(target);
        }
      deposit.commit(target);
    };
    step.back_to_committed = [&]() {
      Assert(irreversible, ExcInternalError()); // only then are steps halved
      irreversible->reset();
      deposit.reset();
      deposit.update_region(); // the region of the committed state
    };
    step_cuts = advance_with_step_halving(step, start, time, irreversible ? coupling.step_halvings : 0, log);
  }

  template <int dim>
  void CoupledStep<dim>::solve_partners(const double time)
  {
    for (Field<dim> *field : step_partners)
      {
        solve_at(*field, time);
        field->publish();
      }
  }

  template <int dim>
  SolverReport CoupledStep<dim>::advance_transient(const double dt, const unsigned int order)
  {
    const profile::Section section("transient step: " + transient->name());
    const double           start_time = transient->current_time();
    coupling_iterations               = 1;
    if (step_partners.empty())
      return transient->advance(dt, order);
    if (coupling.scheme == "monolithic")
      return advance_monolithic(dt, order);
    // Pass k advances the transient field with the partner's data of the
    // last pass (the first: of the last step), then solves the partner.
    Field<dim>      &partner = *step_partners.front();
    SolverReport     report;
    GroupOfCallbacks group;
    group.sweep_fields = [&](const unsigned int pass) {
      if (pass > 1)
        transient->reject_step();
      const auto advanced = transient->advance(dt, order);
      if (pass == 1)
        report = advanced;
      else
        {
          report.iterations += advanced.iterations;
          report.linear_iterations += advanced.linear_iterations;
        }
      solve_partners(transient->current_time());
    };
    group.state     = [&]() { return owned_copy(partner.solution()); };
    group.set_state = [&](const LA::MPI::Vector &x) {
      partner.set_solution(x);
      partner.publish();
    };
    try
      {
        const std::string what = "coupling of " + transient->name() + " and " + partner.name();
        coupling_iterations    = StaggeredIteration(coupling.staggered).solve(group, what).iterations;
      }
    catch (...)
      {
        // Back to the start of the step: the transient field, then its partner.
        if (transient->current_time() > start_time)
          transient->reject_step();
        solve_partners(start_time);
        throw;
      }
    return report;
  }

  template <int dim>
  SolverReport CoupledStep<dim>::advance_monolithic(const double dt, const unsigned int order)
  {
    const double start_time = transient->current_time();
    Field<dim>  &partner    = *step_partners.front();
    transient->begin_step(dt, order);
    try
      {
        if (contains<dim>(deposit_readers, &partner))
          deposit.set_time(transient->current_time());
        partner.set_time(transient->current_time());
        partner.begin_newton_block();
        FieldsAsOneSystem<dim> system({transient, &partner});
        const auto             newton = MonolithicNewton(coupling.monolithic)
                              .solve(system, "monolithic step of " + transient->name() + " and " + partner.name() +
                                               " to t = " + format_number(transient->current_time()) + " s");
        SolverReport report;
        report.iterations        = newton.iterations;
        report.linear_iterations = newton.linear_iterations;
        coupling_iterations      = newton.iterations;
        transient->end_step(report);
        return report;
      }
    catch (...)
      {
        transient->cancel_step();
        solve_partners(start_time); // the partner's data of the start, which the transient field reads
        throw;
      }
  }

  template <int dim>
  void CoupledStep<dim>::solve_quasi_static_at(const double time, const double dt)
  {
    if (irreversible)
      irreversible->set_time_step(dt);
    try
      {
        solve_fields(time);
      }
    catch (...)
      {
        if (irreversible)
          {
            irreversible->reset();
            deposit.reset();
            deposit.update_region(); // the region of the committed state
          }
        throw;
      }
  }

  template <int dim>
  void CoupledStep<dim>::undo_transient_step(const double start)
  {
    transient->reject_step();
    solve_partners(start); // the partners' data of the start, which the transient field reads
  }

  template <int dim>
  void CoupledStep<dim>::publish_quasi_static()
  {
    for (Field<dim> *field : quasi_static)
      field->publish();
  }

  template <int dim>
  void CoupledStep<dim>::add_statistics(StatisticsTable &table) const
  {
    if (transient && !step_partners.empty())
      table.add_value("coupling_iterations", "", coupling_iterations);
    if (irreversible)
      {
        table.add_value("staggered_iterations", "", staggered_iterations);
        table.add_value("step_cuts", "", step_cuts);
        if (redo_on_finer_mesh)
          table.add_value("mesh_redos", "", mesh_redos);
      }
    if (deposit.filling())
      table.add_value("pressure_balance_iterations", "", pressure_evaluations);
  }

  template <int dim>
  std::string CoupledStep<dim>::progress() const
  {
    return irreversible ? std::to_string(staggered_iterations) + " staggered it" : "";
  }

  template class CoupledStep<2>;
  template class CoupledStep<3>;
} // namespace dendra
