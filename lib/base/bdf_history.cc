#include <dendra/base/bdf_history.h>

#include <deal.II/base/exceptions.h>
#include <deal.II/base/mpi.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <istream>
#include <ostream>

namespace dendra
{
  using namespace dealii;

  void BdfHistory::reset(const LA::MPI::Vector &state, const IndexSet &owned_dofs, const IndexSet &relevant_dofs,
                         MPI_Comm mpi_communicator)
  {
    owned        = owned_dofs;
    relevant     = relevant_dofs;
    communicator = mpi_communicator;
    for (auto &s : states)
      {
        s.reinit(owned, relevant, communicator);
        s = state;
      }
    combined.reinit(owned, relevant, communicator);
    combined      = state;
    past_dt       = {{0.0, 0.0}};
    valid         = 0;
    undo_possible = false;
  }

  BDFCoefficients BdfHistory::begin_step(const double step, const unsigned int order)
  {
    const auto      coefficients = BDFCoefficients::make(order, step, valid > 0 ? past_dt[0] : 0.0);
    LA::MPI::Vector sum(states[0].locally_owned_elements(), states[0].get_mpi_communicator());
    sum.add(coefficients.a[1], states[0], coefficients.a[2], states[1]);
    combined = sum;
    dt       = step;
    return coefficients;
  }

  void BdfHistory::accept(const LA::MPI::Vector &new_state)
  {
    undo_oldest.reinit(owned, relevant, communicator);
    undo_oldest   = states[2];
    undo_past_dt  = past_dt;
    undo_valid    = valid;
    undo_possible = true;
    states[2]     = states[1];
    states[1]     = states[0];
    states[0]     = new_state;
    past_dt       = {{dt, past_dt[0]}};
    valid         = std::min(valid + 1, 2u);
  }

  void BdfHistory::reject()
  {
    AssertThrow(undo_possible, ExcMessage("BdfHistory::reject(): no step to reject"));
    states[0]     = states[1];
    states[1]     = states[2];
    states[2]     = undo_oldest;
    past_dt       = undo_past_dt;
    valid         = undo_valid;
    undo_possible = false;
  }

  std::pair<double, unsigned int> BdfHistory::local_error_estimate(const LA::MPI::Vector &new_state,
                                                                   const IndexSet &dofs, const unsigned int order,
                                                                   MPI_Comm communicator) const
  {
    // Milne's device: compare the solution with the polynomial extrapolation
    // of the past states.
    if (valid == 0)
      return {-1.0, 0};
    const double dt1 = past_dt[0], dt2 = past_dt[1];
    const bool   quadratic = (order == 2 && valid >= 2);
    double       largest   = 0;
    for (const auto i : dofs)
      {
        const double u0 = states[0](i), u1 = states[1](i), u2 = states[2](i);
        double       predicted;
        if (quadratic)
          {
            // Lagrange extrapolation through t_n - dt1 - dt2, t_n - dt1, t_n to t_n + dt.
            const double l0 = (dt + dt1) * (dt + dt1 + dt2) / (dt1 * (dt1 + dt2));
            const double l1 = -dt * (dt + dt1 + dt2) / (dt1 * dt2);
            const double l2 = dt * (dt + dt1) / ((dt1 + dt2) * dt2);
            predicted       = l0 * u0 + l1 * u1 + l2 * u2;
          }
        else
          predicted = u0 + dt / dt1 * (u0 - u1);
        largest = std::max(largest, std::abs(new_state(i) - predicted));
      }
    largest = Utilities::MPI::max(largest, communicator);
    if (quadratic)
      {
        // BDF2: LTE = (1 + w)^2 / (6 w (1 + 2 w)) dt^3 u_ttt with w = dt / dt1;
        // the predictor misses by dt (dt + dt1)(dt + dt1 + dt2) u_ttt / 6.
        const double w = dt / dt1;
        return {(1 + w) * (1 + w) / (w * (1 + 2 * w)) * dt * dt / ((dt + dt1) * (dt + dt1 + dt2)) * largest, 2};
      }
    // BDF1 (or BDF2 without enough history, estimated conservatively):
    // LTE = dt^2 u_tt / 2, the predictor misses by dt (dt + dt1) u_tt / 2.
    return {dt / (dt + dt1) * largest, 1};
  }

  std::vector<const LA::MPI::Vector *> BdfHistory::states_to_transfer() const
  {
    return {&states[0], &states[1], &states[2]};
  }

  void BdfHistory::restore_transferred(const std::vector<LA::MPI::Vector> &transferred, const IndexSet &owned_dofs,
                                       const IndexSet &relevant_dofs, MPI_Comm mpi_communicator)
  {
    Assert(transferred.size() >= 3, ExcMessage("restore_transferred needs the three history states"));
    owned        = owned_dofs;
    relevant     = relevant_dofs;
    communicator = mpi_communicator;
    for (unsigned int k = 0; k < 3; ++k)
      {
        states[k].reinit(owned, relevant, communicator);
        states[k] = transferred[k];
      }
    combined.reinit(owned, relevant, communicator);
    combined      = transferred[0];
    undo_possible = false;
  }

  void BdfHistory::save(std::ostream &out) const
  {
    out << std::setprecision(17) << past_dt[0] << ' ' << past_dt[1] << ' ' << valid << ' ' << dt << '\n';
  }

  void BdfHistory::load(std::istream &in)
  {
    in >> past_dt[0] >> past_dt[1] >> valid >> dt;
  }
} // namespace dendra
