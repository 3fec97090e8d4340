#pragma once

#include <dendra/fields/electrodeposition.h>
#include <dendra/mesh/geometry.h>
#include <dendra/postprocess/output_writer.h>

#include <iosfwd>
#include <vector>

namespace dendra
{
  /// Statistics of plating in a host (PHYSICS.md Section 7, items 5 to 7),
  /// per step: the Li inside and outside the host's envelope, the electrode
  /// thickness and its change, and the plating current and current density
  /// of each region of a conducting host's surface (tips, sides, ...). Li is
  /// attributed to the surface region nearest to it, so a region's current
  /// is n F c_s times the rate of change of the Li volume nearest to it.
  template <int dim>
  class HostStatistics
  {
  public:
    /// Statistics of @p deposition in @p geometry; both must outlive this object.
    HostStatistics(const Geometry<dim> &geometry, const Electrodeposition<dim> &deposition);

    /// True if the geometry has a host (an envelope or a conducting surface).
    bool active() const;
    /// After setup and every mesh change (collective): the surface regions'
    /// areas and the Li nearest to them on the new mesh.
    void update_mesh();
    /// Adds this step's columns to @p table; @p dt (s) is the step that ended now (collective).
    void add_columns(StatisticsTable &table, double dt);
    /// Electrode thickness: host height plus the Li outside the host per projected area (m).
    double electrode_thickness() const;
    /// Writes the initial thickness for a checkpoint (the rest follows from
    /// the deposition state by update_mesh()).
    void save_state(std::ostream &out) const;
    /// Reads what save_state() wrote.
    void load_state(std::istream &in);

  private:
    /// Li volume nearest to each surface region (m^3, or m^2 in 2D).
    std::vector<double> region_volumes() const;

    const Geometry<dim>          &geometry;
    const Electrodeposition<dim> &deposition;
    std::vector<std::string>      regions;
    std::vector<double>           region_area;           ///< (m^2, or m in 2D)
    std::vector<double>           previous_volume;       ///< region_volumes() at the last step or mesh change
    double                        projected_area    = 0; ///< of the domain normal to the last axis (m^2, or m)
    double                        initial_thickness = -1;
  };
} // namespace dendra
