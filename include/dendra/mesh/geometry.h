#pragma once

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/point.h>
#include <deal.II/base/types.h>
#include <deal.II/grid/tria.h>

#include <map>
#include <memory>
#include <string>

namespace dendra
{
  class MaterialLibrary;

  /// A geometry plugin: builds the coarse mesh with boundary ids and says which
  /// material occupies each point. MeshBuilder classifies cells with it and
  /// refines at material interfaces. Boundary ids of box-like geometries:
  /// 0/1 at x min/max, 2/3 at y min/max, 4/5 at z min/max.
  template <int dim>
  class Geometry
  {
  public:
    virtual ~Geometry() = default;

    /// Reads the plugin's subsection; names of materials resolve in @p materials.
    virtual void parse_parameters(dealii::ParameterHandler &prm, const MaterialLibrary &materials) = 0;

    /// Creates the coarse mesh, its boundary ids and manifolds.
    virtual void create_coarse_mesh(dealii::Triangulation<dim> &triangulation) const = 0;

    /// Material id at @p p (m); only used when classifies_cells() is true.
    virtual dealii::types::material_id material_id_at(const dealii::Point<dim> &p) const = 0;

    /// True if cells get their material from material_id_at() (false: from the mesh file).
    virtual bool classifies_cells() const { return true; }

    /// Initial Li-metal indicator at @p p: 1 inside Li metal, 0 elsewhere (-).
    virtual double initial_li_indicator(const dealii::Point<dim> &p) const = 0;

    /// True where Li has been plated before the run starts (e.g. the filling of
    /// an interfacial defect); the plating eigenstrain acts there.
    virtual bool in_initial_deposit(const dealii::Point<dim> &) const { return false; }

    /// True if @p p (m) lies in the host's envelope, the space its framework
    /// spans: Li plated there counts as inside the host. Default: no host.
    virtual bool in_host(const dealii::Point<dim> &) const { return false; }

    /// Height of the host's envelope above the current collector (m): the
    /// electrode's thickness while all Li stays inside. Default: no host (0).
    virtual double host_height() const { return 0; }
    /// Thickness (m) of the electrolyte above the interface at height 0
    /// through which a filament must grow to short the cell; 0 if none.
    virtual double separator_thickness() const { return 0; }

    /// Names of the regions of a conducting host's surface (tips, sides, ...),
    /// for currents per region; empty: no conducting host.
    virtual std::vector<std::string> host_surface_regions() const { return {}; }

    /// Index into host_surface_regions() of the region that @p p (m), a point
    /// of the host's surface, belongs to.
    virtual unsigned int host_surface_region(const dealii::Point<dim> &) const { return 0; }

    /// Names of the boundary ids, for logs and statistics.
    virtual std::map<dealii::types::boundary_id, std::string> boundary_names() const;

    /// One line describing the geometry, for the log.
    virtual std::string description() const = 0;
  };

  /// Declares subsection "Geometry": "Model name" and every geometry plugin's subsection.
  void declare_geometry_parameters(dealii::ParameterHandler &prm);

  /// Creates and parses the geometry plugin chosen in subsection "Geometry".
  template <int dim>
  std::unique_ptr<Geometry<dim>> create_geometry(dealii::ParameterHandler &prm, const MaterialLibrary &materials);

  /// A slab [x_min, x_max]^(dim-1) x [bottom, top] (m), stacked along the
  /// last axis, of near-cubic coarse cells of about @p cell_size (m), with
  /// box boundary ids (0/1 x min/max, ...).
  template <int dim>
  void create_slab_mesh(dealii::Triangulation<dim> &triangulation, double x_min, double x_max, double bottom,
                        double top, double cell_size);

  /// Boundary ids of a slab stacked along the last axis: its bottom and top face.
  template <int dim>
  constexpr dealii::types::boundary_id slab_bottom_id = 2 * (dim - 1);
  template <int dim>
  constexpr dealii::types::boundary_id slab_top_id = 2 * dim - 1;

  /// Box boundary names with the bottom and top face of a slab renamed.
  template <int dim>
  std::map<dealii::types::boundary_id, std::string> slab_boundary_names(const std::string &bottom,
                                                                        const std::string &top);

  /// Box-like boundary names: "x min", "x max", "y min", ...
  template <int dim>
  std::map<dealii::types::boundary_id, std::string> box_boundary_names();
} // namespace dendra
