#pragma once

#include <dendra/mesh/geometry.h>

#include <array>
#include <string>
#include <vector>

namespace dendra
{
  /// Geometry "garnet bilayer": a porous LLZO layer on a dense LLZO layer,
  /// on a Li electrode, with Li infiltrated into the pores; optionally a
  /// second porous layer on top (trilayer, its pores empty). The stacking
  /// direction is the last axis (y in 2D, z in 3D). From the bottom (y = 0,
  /// boundary "collector"): the Li electrode, the porous layer, the dense
  /// layer, the optional top porous layer; boundary "top" above. Pores are
  /// overlapping discs (spheres in 3D) of one diameter, placed uniformly at
  /// random from a seed; their number n gives the requested porosity phi of
  /// overlapping pores, phi = 1 - exp(-n v / V) (v one pore, V the layer),
  /// so that they connect into an open network as in sintered garnet scaffolds.
  template <int dim>
  class GarnetBilayer : public Geometry<dim>
  {
  public:
    /// Declares subsection "Garnet bilayer".
    static void declare_parameters(dealii::ParameterHandler &prm);
    void        parse_parameters(dealii::ParameterHandler &prm, const MaterialLibrary &materials) override;
    void        create_coarse_mesh(dealii::Triangulation<dim> &triangulation) const override;
    dealii::types::material_id material_id_at(const dealii::Point<dim> &p) const override;
    /// 1 in the Li electrode and in the infiltrated pores.
    double                                            initial_li_indicator(const dealii::Point<dim> &p) const override;
    std::map<dealii::types::boundary_id, std::string> boundary_names() const override;
    std::string                                       description() const override;

    /// The layers from the bottom.
    enum class Layer
    {
      electrode,
      porous,
      dense,
      top_porous,
      outside
    };
    /// The layer that contains @p p.
    Layer layer_at(const dealii::Point<dim> &p) const;
    /// True if @p p lies in a pore of a porous layer.
    bool in_pore(const dealii::Point<dim> &p) const;
    /// Centres of the pores of the lower porous layer (m).
    const std::vector<dealii::Point<dim>> &pore_centres() const { return pores.centres; }
    /// Pore volume fraction of the porous layer, sampled on a lattice of
    /// @p samples points per direction (-).
    double sampled_porosity(unsigned int samples = 64) const;
    /// Height of the interface between the porous and the dense layer (m).
    double dense_bottom() const { return electrode_thickness + porous_thickness; }
    /// In the Li electrode or the lower porous layer.
    bool in_host(const dealii::Point<dim> &p) const override
    {
      return layer_at(p) == Layer::electrode || layer_at(p) == Layer::porous;
    }
    /// Li electrode and porous layer (m): the electrode's thickness while Li stays in the pores.
    double host_height() const override { return dense_bottom(); }
    /// Height of the top of the dense layer (m).
    double dense_top() const { return dense_bottom() + dense_thickness; }

  private:
    /// The pores of one porous layer, sorted into buckets of one pore
    /// diameter, so that a point is tested against the pores of its 3^dim
    /// neighbouring buckets only (layers of 10^5 pores stay cheap).
    struct PoreLayer
    {
      std::vector<dealii::Point<dim>>        centres;     ///< (m)
      dealii::Point<dim>                     origin;      ///< lower corner of the buckets (m)
      double                                 spacing = 1; ///< bucket edge = pore diameter (m)
      std::array<int, dim>                   buckets_per_axis{};
      std::vector<std::vector<unsigned int>> buckets; ///< pore indices, per bucket
      /// True if @p p lies within @p radius (m) of a pore centre.
      bool contains(const dealii::Point<dim> &p, double radius) const;
    };
    /// Random pores in the slab [bottom, bottom + thickness]; @p stream tells layers apart.
    PoreLayer place_pores(double bottom, double thickness, unsigned int stream) const;

    double                     width                = 0; ///< every horizontal direction (m)
    double                     electrode_thickness  = 0; ///< Li electrode (m)
    double                     porous_thickness     = 0; ///< (m)
    double                     dense_thickness      = 0; ///< (m)
    double                     top_porous_thickness = 0; ///< 0: bilayer (m)
    double                     pore_diameter        = 0; ///< (m)
    double                     porosity             = 0; ///< requested (-)
    bool                       infiltrated          = true;
    unsigned int               seed                 = 1;
    PoreLayer                  pores, top_pores;
    dealii::types::material_id li_id = 0, dense_id = 0, skeleton_id = 0, void_id = 0;
  };
} // namespace dendra
