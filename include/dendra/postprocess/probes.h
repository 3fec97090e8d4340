#pragma once

#include <dendra/base/linear_algebra.h>

#include <deal.II/base/point.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/mapping.h>

#include <vector>

namespace dendra
{
  /// Values of finite-element fields at user-given points on a distributed
  /// mesh: the rank owning the cell around a point evaluates it.
  template <int dim>
  class Probes
  {
  public:
    /// Probes at @p points (m).
    explicit Probes(const std::vector<dealii::Point<dim>> &points);

    /// Values of every component of @p field at every point:
    /// result[point][component]. InputError if a point is outside the mesh.
    std::vector<std::vector<double>> evaluate(const dealii::Mapping<dim>    &mapping,
                                              const dealii::DoFHandler<dim> &dof_handler,
                                              const LA::MPI::Vector         &field) const;

    /// The probe points (m).
    const std::vector<dealii::Point<dim>> &points() const { return probe_points; }

  private:
    std::vector<dealii::Point<dim>> probe_points;
  };
} // namespace dendra
