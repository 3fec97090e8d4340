#pragma once

#include <dendra/mesh/geometry.h>

#include <deal.II/base/parameter_handler.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/lac/vector.h>

#include <functional>
#include <string>
#include <vector>

namespace dendra
{
  /// Builds the distributed mesh of a geometry (material ids, refinement at
  /// material interfaces to a requested resolution) and adapts it during runs.
  template <int dim>
  class MeshBuilder
  {
  public:
    /// Declares subsection "Mesh refinement".
    static void declare_parameters(dealii::ParameterHandler &prm);
    /// Reads subsection "Mesh refinement".
    void parse_parameters(dealii::ParameterHandler &prm);

    /// Coarse mesh, global refinement, then material classification and
    /// refinement of interface cells until they are no larger than the
    /// interface resolution. Cells are classified again after every later
    /// mesh change of @p tria, so @p geometry must outlive it.
    void build(const Geometry<dim> &geometry, dealii::parallel::distributed::Triangulation<dim> &tria) const;
    /// Saves the built mesh to @p directory and loads it back: its cells are
    /// then numbered as a checkpoint's mesh will be, so that a resumed run
    /// computes exactly as an uninterrupted one. Call right after build(),
    /// before any DoFHandler uses @p tria. Collective.
    void renumber_cells_as_loaded(const Geometry<dim>                               &geometry,
                                  dealii::parallel::distributed::Triangulation<dim> &tria,
                                  const std::string                                 &directory) const;

    /// The mesh of a checkpoint: the geometry's coarse mesh, then @p load_mesh
    /// (which calls Triangulation::load()), then the material classification
    /// as build() keeps it.
    void load(const Geometry<dim> &geometry, dealii::parallel::distributed::Triangulation<dim> &tria,
              const std::function<void()> &load_mesh) const;

    /// Sets the material id of every cell (all levels) from the geometry, by cell centre.
    static void assign_material_ids(const Geometry<dim> &geometry, dealii::Triangulation<dim> &tria);

    /// True if cells of different material meet in @p cell (sampled at vertices, face centres, centre).
    static bool is_interface_cell(const Geometry<dim>                                             &geometry,
                                  const typename dealii::Triangulation<dim>::active_cell_iterator &cell);

    /// Flags cells for refinement/coarsening by fixed fractions of @p indicators,
    /// within the level limits, never coarsening across material interfaces;
    /// cells with @p must_refine > 0 (if given) are refined up to the maximum
    /// level or the interface resolution and never coarsened (e.g. a diffuse interface).
    void mark_for_adaptation(dealii::parallel::distributed::Triangulation<dim> &tria,
                             const dealii::Vector<float>                       &indicators,
                             const dealii::Vector<float>                       *must_refine = nullptr) const;
    /// Flags the cells with @p must_refine > 0 below the maximum level and
    /// coarser than the interface resolution for refinement (nothing else);
    /// returns the number flagged on all ranks.
    unsigned int mark_for_refinement(dealii::parallel::distributed::Triangulation<dim> &tria,
                                     const dealii::Vector<float>                       &must_refine) const;

    /// Flags the owned cells for a mesh of the target edge lengths @p targets
    /// (m, by active cell index; 0: no target): refine where a cell is
    /// coarser than its target, and, with @p coarsen, coarsen where the
    /// parent would still meet the target or where there is none (not below
    /// the minimum level or the initial global refinement, across material interfaces or in the refinement
    /// box below its resolution). The marks depend only on the targets, not
    /// on the partition. Returns the number of cells flagged for refinement on all ranks.
    unsigned int mark_to_targets(dealii::parallel::distributed::Triangulation<dim> &tria,
                                 const dealii::Vector<float> &targets, bool coarsen) const;
    /// True if some cell with a target is coarser than it and below the
    /// maximum level (on any rank): the mesh does not yet resolve @p targets (m).
    bool coarser_than_targets(const dealii::parallel::distributed::Triangulation<dim> &tria,
                              const dealii::Vector<float>                             &targets) const;

    /// Refines the cells that overlap the refinement box until their edges
    /// are at most the box resolution.
    void refine_box(dealii::parallel::distributed::Triangulation<dim> &tria) const;
    /// True if @p cell overlaps the refinement box (false without one).
    bool in_refinement_box(const typename dealii::Triangulation<dim>::active_cell_iterator &cell) const;
    /// True if @p cell is below the maximum level and coarser than the interface resolution.
    bool needs_refinement(const typename dealii::Triangulation<dim>::active_cell_iterator &cell) const;

    unsigned int                    initial_global_refinement = 0;  ///< uniform refinements of the coarse mesh (-)
    double                          interface_resolution      = 0;  ///< cell size at material interfaces (m); 0 = off
    unsigned int                    max_interface_refinements = 10; ///< cap on interface refinement rounds (-)
    std::vector<dealii::Point<dim>> refinement_box;                 ///< two corners (m), or empty
    double                          box_resolution      = 0;        ///< largest cell edge in the box (m)
    unsigned int                    adaptive_cycles     = 0;        ///< solve-estimate-refine cycles per step (-)
    unsigned int                    adaptation_interval = 0; ///< accepted steps between adaptations (-), 0 = never
    unsigned int redo_limit       = 2;    ///< quasi-static: re-solves of a step on a mesh refined to its targets (-)
    double       refine_fraction  = 0.3;  ///< fraction of the error indicator refined (-)
    double       coarsen_fraction = 0.05; ///< fraction of the error indicator coarsened (-)
    unsigned int min_level        = 0;    ///< coarsest allowed level (-)
    unsigned int max_level        = 12;   ///< finest allowed level (-)
  };

  /// Widens the positive values of @p values (by active cell index) by
  /// @p rings rings of cells: each owned cell takes the smallest positive
  /// value among the cells that share a vertex with it. Every ring is grown
  /// from the owners' values sent to the ghost cells, so the result does not
  /// depend on the partition; ghost entries are up to date on return. Collective.
  template <int dim>
  void spread_to_neighbours(const dealii::Triangulation<dim> &tria, dealii::Vector<float> &values, unsigned int rings);
} // namespace dendra
