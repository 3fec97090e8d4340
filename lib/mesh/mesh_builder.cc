#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/mesh/mesh_builder.h>

#include <deal.II/base/mpi.h>
#include <deal.II/distributed/grid_refinement.h>
#include <deal.II/grid/grid_tools.h>

#include <filesystem>

namespace dendra
{
  using namespace dealii;

  namespace
  {
    /// True if @p edge (m) is longer than @p size (m) by more than round-off:
    /// a cell of exactly the size is neither refined nor, its parent being
    /// twice as large, coarsened.
    bool longer_than(const double edge, const double size)
    {
      return edge > size * (1 + 1e-10);
    }

    /// True if @p cell has a target edge (m) > 0 that it is longer than, below level @p max_level.
    template <int dim>
    bool coarser_than_target(const typename Triangulation<dim>::active_cell_iterator &cell, const double target,
                             const unsigned int max_level)
    {
      return target > 0 && longer_than(cell->minimum_vertex_distance(), target) &&
             cell->level() < static_cast<int>(max_level);
    }

    /// True if a face neighbour of @p cell has another material.
    template <int dim>
    bool at_material_interface(const typename Triangulation<dim>::active_cell_iterator &cell)
    {
      for (const unsigned int f : cell->face_indices())
        if (!cell->at_boundary(f) && cell->neighbor(f)->material_id() != cell->material_id())
          return true;
      return false;
    }
  } // namespace

  template <int dim>
  void MeshBuilder<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Mesh refinement");
    prm.declare_entry("Initial global refinement", "0", Patterns::Integer(0, 12),
                      "Uniform refinements of the coarse mesh (-).");
    prm.declare_entry("Interface resolution", "1e-7", Patterns::Double(0),
                      "Cells where materials meet are refined until their edge is at most this long (m); "
                      "0 switches interface refinement off. Adaptive deposition runs refine the diffuse "
                      "interface to this size too (and at most to Maximum level).");
    prm.declare_entry("Maximum interface refinements", "10", Patterns::Integer(0, 20),
                      "Cap on the rounds of interface refinement (-).");
    prm.declare_entry("Refinement box", "", Patterns::Anything(),
                      "Corners 'x0, y0[, z0]; x1, y1[, z1]' (m) of a box refined to Box resolution when the "
                      "mesh is built (e.g. where cracks will run); empty: none.");
    prm.declare_entry("Box resolution", "0", Patterns::Double(0),
                      "Largest cell edge in the Refinement box (m), > 0 when a box is given.");
    prm.declare_entry("Adaptive refinement cycles", "0", Patterns::Integer(0, 20),
                      "Solve-estimate-adapt cycles in each step before the final solve (-); the "
                      "indicator is the sum of the fields' Kelly indicators, each scaled to max 1.");
    prm.declare_entry("Adaptation interval", "0", Patterns::Integer(0),
                      "Adapt the mesh after every this many accepted time or load steps, transferring the state "
                      "and its history (-); 0 never adapts. Runs with damage adapt to the damage's cell size "
                      "targets (Damage/Adaptive refinement), others to Kelly indicators.");
    prm.declare_entry("Redo limit", "2", Patterns::Integer(0, 10),
                      "Quasi-static runs with cell size targets (damage) and an Adaptation interval: when a "
                      "load step leaves damage on cells coarser than their target, the mesh is refined and the "
                      "step solved again from the committed state, at most this many times (-).");
    prm.declare_entry("Refinement fraction", "0.3", Patterns::Double(0, 1),
                      "Fraction of the total error indicator whose cells are refined (-).");
    prm.declare_entry("Coarsening fraction", "0.05", Patterns::Double(0, 1),
                      "Fraction of the total error indicator whose cells are coarsened (-).");
    prm.declare_entry("Minimum level", "0", Patterns::Integer(0, 30), "Coarsest refinement level allowed (-).");
    prm.declare_entry("Maximum level", "12", Patterns::Integer(0, 30), "Finest refinement level allowed (-).");
    prm.leave_subsection();
  }

  template <int dim>
  void MeshBuilder<dim>::parse_parameters(ParameterHandler &prm)
  {
    prm.enter_subsection("Mesh refinement");
    initial_global_refinement = prm.get_integer("Initial global refinement");
    interface_resolution      = prm.get_double("Interface resolution");
    max_interface_refinements = prm.get_integer("Maximum interface refinements");
    adaptive_cycles           = prm.get_integer("Adaptive refinement cycles");
    adaptation_interval       = prm.get_integer("Adaptation interval");
    redo_limit                = prm.get_integer("Redo limit");
    refine_fraction           = prm.get_double("Refinement fraction");
    coarsen_fraction          = prm.get_double("Coarsening fraction");
    min_level                 = prm.get_integer("Minimum level");
    max_level                 = prm.get_integer("Maximum level");
    box_resolution            = prm.get_double("Box resolution");
    refinement_box            = parse_points<dim>(prm.get("Refinement box"), "Mesh refinement/Refinement box");
    prm.leave_subsection();
    require_input(refinement_box.empty() || refinement_box.size() == 2,
                  "Mesh refinement/Refinement box needs two corners 'x0, y0; x1, y1', got " +
                    std::to_string(refinement_box.size()) + " points");
    require_input(refinement_box.empty() || box_resolution > 0,
                  "Mesh refinement/Box resolution must be > 0 when a Refinement box is given");
    require_input(refine_fraction + coarsen_fraction <= 1,
                  "Mesh refinement: Refinement fraction + Coarsening fraction = " +
                    format_number(refine_fraction + coarsen_fraction) + " must not exceed 1");
    require_input(min_level <= max_level, "Mesh refinement: Minimum level = " + std::to_string(min_level) +
                                            " exceeds Maximum level = " + std::to_string(max_level));
  }

  template <int dim>
  bool MeshBuilder<dim>::is_interface_cell(const Geometry<dim>                                     &geometry,
                                           const typename Triangulation<dim>::active_cell_iterator &cell)
  {
    const types::material_id centre = geometry.material_id_at(cell->center());
    for (const unsigned int v : cell->vertex_indices())
      if (geometry.material_id_at(cell->vertex(v)) != centre)
        return true;
    for (const unsigned int f : cell->face_indices())
      if (geometry.material_id_at(cell->face(f)->center()) != centre)
        return true;
    return false;
  }

  template <int dim>
  void MeshBuilder<dim>::assign_material_ids(const Geometry<dim> &geometry, Triangulation<dim> &tria)
  {
    // Parents too: a cell that is coarsened later must come back with its
    // material (interface cells are never coarsened, see mark_for_adaptation).
    for (const auto &cell : tria.cell_iterators())
      if (!cell->is_active() || !cell->is_artificial())
        cell->set_material_id(geometry.material_id_at(cell->center()));
  }

  template <int dim>
  void MeshBuilder<dim>::renumber_cells_as_loaded(const Geometry<dim>                       &geometry,
                                                  parallel::distributed::Triangulation<dim> &tria,
                                                  const std::string                         &directory) const
  {
    // A checkpoint's mesh comes back from p4est with its cells numbered level
    // by level, while refinement rounds number them in the order the rounds
    // made them. Loading the built mesh once gives the run the order of a
    // loaded one, so that a resumed run repeats the floating-point operations
    // (assembly sums, DoF numbering) of an uninterrupted one exactly.
    const MPI_Comm    communicator = tria.get_communicator();
    const std::string file         = directory + "/.mesh-in-order";
    tria.save(file);
    tria.signals.post_distributed_refinement.disconnect_all_slots(); // build()'s classification; load() renews it
    tria.clear();
    load(geometry, tria, [&]() { tria.load(file); });
    MPI_Barrier(communicator);
    if (Utilities::MPI::this_mpi_process(communicator) == 0)
      for (const std::string suffix : {"", "_fixed.data", "_variable.data", ".info"})
        std::filesystem::remove(file + suffix);
  }

  template <int dim>
  void MeshBuilder<dim>::build(const Geometry<dim> &geometry, parallel::distributed::Triangulation<dim> &tria) const
  {
    geometry.create_coarse_mesh(tria);
    tria.refine_global(initial_global_refinement);
    if (!geometry.classifies_cells())
      return;
    assign_material_ids(geometry, tria);
    // p4est re-creates cells that move between ranks or are coarsened by
    // refining their ancestors, and children inherit the ancestor's material:
    // classify again after every mesh change.
    tria.signals.post_distributed_refinement.connect([&geometry, &tria]() { assign_material_ids(geometry, tria); });
    refine_box(tria);
    if (interface_resolution <= 0)
      return;
    for (unsigned int round = 0; round < max_interface_refinements; ++round)
      {
        unsigned int n_flagged = 0;
        for (const auto &cell : tria.active_cell_iterators())
          if (cell->is_locally_owned() && longer_than(cell->minimum_vertex_distance(), interface_resolution) &&
              is_interface_cell(geometry, cell))
            {
              cell->set_refine_flag();
              ++n_flagged;
            }
        if (Utilities::MPI::sum(n_flagged, tria.get_communicator()) == 0)
          break;
        tria.execute_coarsening_and_refinement();
        assign_material_ids(geometry, tria);
      }
  }

  template <int dim>
  void MeshBuilder<dim>::load(const Geometry<dim> &geometry, parallel::distributed::Triangulation<dim> &tria,
                              const std::function<void()> &load_mesh) const
  {
    geometry.create_coarse_mesh(tria);
    load_mesh();
    if (!geometry.classifies_cells())
      return;
    assign_material_ids(geometry, tria);
    tria.signals.post_distributed_refinement.connect([&geometry, &tria]() { assign_material_ids(geometry, tria); });
  }

  template <int dim>
  bool MeshBuilder<dim>::in_refinement_box(const typename Triangulation<dim>::active_cell_iterator &cell) const
  {
    if (refinement_box.empty())
      return false;
    const auto bounds = cell->bounding_box().get_boundary_points();
    for (unsigned int d = 0; d < dim; ++d)
      {
        const double lo = std::min(refinement_box[0][d], refinement_box[1][d]);
        const double hi = std::max(refinement_box[0][d], refinement_box[1][d]);
        if (bounds.second[d] <= lo || bounds.first[d] >= hi)
          return false;
      }
    return true;
  }

  template <int dim>
  void MeshBuilder<dim>::refine_box(parallel::distributed::Triangulation<dim> &tria) const
  {
    if (refinement_box.empty())
      return;
    for (unsigned int round = 0; round < 30; ++round)
      {
        unsigned int n_flagged = 0;
        for (const auto &cell : tria.active_cell_iterators())
          if (cell->is_locally_owned() && longer_than(cell->minimum_vertex_distance(), box_resolution) &&
              in_refinement_box(cell))
            {
              cell->set_refine_flag();
              ++n_flagged;
            }
        if (Utilities::MPI::sum(n_flagged, tria.get_communicator()) == 0)
          break;
        tria.execute_coarsening_and_refinement();
      }
  }

  template <int dim>
  bool MeshBuilder<dim>::needs_refinement(const typename Triangulation<dim>::active_cell_iterator &cell) const
  {
    return cell->level() < static_cast<int>(max_level) &&
           (interface_resolution <= 0 || longer_than(cell->minimum_vertex_distance(), interface_resolution));
  }

  template <int dim>
  void MeshBuilder<dim>::mark_for_adaptation(parallel::distributed::Triangulation<dim> &tria,
                                             const Vector<float> &indicators, const Vector<float> *must_refine) const
  {
    parallel::distributed::GridRefinement::refine_and_coarsen_fixed_fraction(tria, indicators, refine_fraction,
                                                                             coarsen_fraction);
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          // Deposition runs (an interface to follow): nothing finer than the interface resolution.
          if (must_refine ? !needs_refinement(cell) : cell->level() >= static_cast<int>(max_level))
            cell->clear_refine_flag();
          if (cell->level() <= static_cast<int>(min_level))
            cell->clear_coarsen_flag();
          // Material interfaces keep the resolution they were built with.
          if (at_material_interface<dim>(cell))
            cell->clear_coarsen_flag();
          if (must_refine && (*must_refine)(cell->active_cell_index()) > 0)
            {
              cell->clear_coarsen_flag();
              if (needs_refinement(cell))
                cell->set_refine_flag();
            }
        }
  }

  template <int dim>
  unsigned int MeshBuilder<dim>::mark_for_refinement(parallel::distributed::Triangulation<dim> &tria,
                                                     const Vector<float>                       &must_refine) const
  {
    unsigned int flagged = 0;
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned() && must_refine(cell->active_cell_index()) > 0 && needs_refinement(cell))
        {
          cell->set_refine_flag();
          ++flagged;
        }
    return Utilities::MPI::sum(flagged, tria.get_communicator());
  }

  template <int dim>
  unsigned int MeshBuilder<dim>::mark_to_targets(parallel::distributed::Triangulation<dim> &tria,
                                                 const Vector<float> &targets, const bool coarsen) const
  {
    unsigned int n_flagged = 0;
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const double target = targets(cell->active_cell_index());
          const double h      = cell->minimum_vertex_distance();
          if (coarser_than_target<dim>(cell, target, max_level))
            {
              cell->set_refine_flag();
              ++n_flagged;
              continue;
            }
          // Never below the built mesh's uniform level.
          const int floor = static_cast<int>(std::max(min_level, initial_global_refinement));
          if (!coarsen || cell->level() <= floor || (target > 0 && longer_than(2 * h, target)))
            continue;
          if (in_refinement_box(cell) && longer_than(2 * h, box_resolution))
            continue;
          if (!at_material_interface<dim>(cell)) // material interfaces keep the resolution they were built with
            cell->set_coarsen_flag();
        }
    return Utilities::MPI::sum(n_flagged, tria.get_communicator());
  }

  template <int dim>
  bool MeshBuilder<dim>::coarser_than_targets(const parallel::distributed::Triangulation<dim> &tria,
                                              const Vector<float>                             &targets) const
  {
    bool coarser = false;
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        coarser |= coarser_than_target<dim>(cell, targets(cell->active_cell_index()), max_level);
    return Utilities::MPI::logical_or(coarser, tria.get_communicator());
  }

  template <int dim>
  void spread_to_neighbours(const Triangulation<dim> &tria, Vector<float> &values, const unsigned int rings)
  {
    using CellIterator     = typename Triangulation<dim>::active_cell_iterator;
    const auto send_values = [&]() {
      GridTools::exchange_cell_data_to_ghosts<float, Triangulation<dim>>(
        tria, [&](const CellIterator &cell) { return values(cell->active_cell_index()); },
        [&](const CellIterator &cell, const float value) { values(cell->active_cell_index()) = value; });
    };
    for (unsigned int ring = 0; ring < rings; ++ring)
      {
        send_values();
        // The smallest positive value of the cells around each vertex.
        std::vector<float> at_vertex(tria.n_vertices(), 0);
        for (const auto &cell : tria.active_cell_iterators())
          if (!cell->is_artificial() && values(cell->active_cell_index()) > 0)
            for (const unsigned int v : cell->vertex_indices())
              {
                float      &smallest = at_vertex[cell->vertex_index(v)];
                const float value    = values(cell->active_cell_index());
                smallest             = smallest > 0 ? std::min(smallest, value) : value;
              }
        for (const auto &cell : tria.active_cell_iterators())
          if (cell->is_locally_owned())
            for (const unsigned int v : cell->vertex_indices())
              {
                const float near  = at_vertex[cell->vertex_index(v)];
                float      &value = values(cell->active_cell_index());
                if (near > 0)
                  value = value > 0 ? std::min(value, near) : near;
              }
      }
    send_values(); // callers may read ghost cells
  }

  template void spread_to_neighbours<2>(const Triangulation<2> &, Vector<float> &, unsigned int);
  template void spread_to_neighbours<3>(const Triangulation<3> &, Vector<float> &, unsigned int);

  template class MeshBuilder<2>;
  template class MeshBuilder<3>;
} // namespace dendra
