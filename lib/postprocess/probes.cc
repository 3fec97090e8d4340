#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/postprocess/probes.h>

#include <deal.II/base/mpi.h>
#include <deal.II/base/quadrature.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/grid/grid_tools.h>

namespace dendra
{
  using namespace dealii;

  template <int dim>
  Probes<dim>::Probes(const std::vector<Point<dim>> &points)
    : probe_points(points)
  {}

  template <int dim>
  std::vector<std::vector<double>> Probes<dim>::evaluate(const Mapping<dim>    &mapping,
                                                         const DoFHandler<dim> &dof_handler,
                                                         const LA::MPI::Vector &field) const
  {
    const unsigned int               n_components = dof_handler.get_fe().n_components();
    const MPI_Comm                   communicator = dof_handler.get_triangulation().get_communicator();
    std::vector<std::vector<double>> result(probe_points.size(), std::vector<double>(n_components, 0.0));
    for (unsigned int p = 0; p < probe_points.size(); ++p)
      {
        std::vector<double> local(n_components + 1, 0.0); // values, then count
        try
          {
            const auto found = GridTools::find_active_cell_around_point(mapping, dof_handler, probe_points[p]);
            if (found.first.state() == IteratorState::valid && found.first->is_locally_owned())
              {
                FEValues<dim> fe_values(mapping, dof_handler.get_fe(),
                                        Quadrature<dim>(std::vector<Point<dim>>{found.second}), update_values);
                fe_values.reinit(found.first);
                std::vector<Vector<double>> values(1, Vector<double>(n_components));
                fe_values.get_function_values(field, values);
                for (unsigned int c = 0; c < n_components; ++c)
                  local[c] = values[0][c];
                local[n_components] = 1;
              }
          }
        catch (const ExceptionBase &) // point outside this rank's part of the mesh
          {}
        // A point on a partition boundary may be found by two ranks: average.
        Utilities::MPI::sum(local, communicator, local);
        std::ostringstream where;
        where << probe_points[p];
        require_input(local[n_components] > 0,
                      "Postprocess/Probe points: point (" + where.str() + ") lies outside the mesh");
        for (unsigned int c = 0; c < n_components; ++c)
          result[p][c] = local[c] / local[n_components];
      }
    return result;
  }

  template class Probes<2>;
  template class Probes<3>;
} // namespace dendra
