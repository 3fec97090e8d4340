#pragma once

#include <dendra/base/linear_algebra.h>

#include <deal.II/base/parameter_handler.h>

#include <functional>
#include <string>
#include <vector>

namespace dendra
{
  /// Fields solved in turn within a step whose coupling passes through one
  /// interface state x (the displacement of deposition with elasticity, the
  /// damage of elasticity with damage): one sweep maps x to G(x). What a
  /// coupling scheme iterates on; it never sees the fields themselves.
  class CoupledGroup
  {
  public:
    virtual ~CoupledGroup() = default;
    /// Solves the group's fields once, in order, from the current interface
    /// state; @p pass counts from 1 within the step.
    virtual void sweep(unsigned int pass) = 0;
    /// The interface state x (owned entries).
    virtual LA::MPI::Vector interface_state() const = 0;
    /// Replaces the interface state by a relaxed iterate (fields that derive
    /// data from it, such as a stress, update them).
    virtual void set_interface_state(const LA::MPI::Vector &x) = 0;
  };

  /// A fixed-point iteration x_{k+1} = x_k + w_k (G(x_k) - x_k) over the
  /// sweeps of a CoupledGroup: plain (w = 1) or with Aitken's dynamic
  /// relaxation w_k = -w_{k-1} r_{k-1}.(r_k - r_{k-1}) / |r_k - r_{k-1}|^2,
  /// r_k = G(x_k) - x_k (Irons and Tuck 1969; Kuettler and Wall 2008).
  class StaggeredIteration
  {
  public:
    /// How the change between sweeps is measured.
    enum class Norm
    {
      relative_l2, ///< |r| / |G(x)| (-)
      max_abs      ///< max |r_i| (in the unit of x)
    };
    /// Settings; @p parameter names the entries in error messages.
    struct Settings
    {
      unsigned int max_iterations     = 1;    ///< sweeps per step; 1 = one lagged pass, no check (-)
      unsigned int min_iterations     = 1;    ///< sweeps before the change may end them (-)
      double       tolerance          = 1e-4; ///< change that ends the sweeps (in the unit of the norm)
      Norm         norm               = Norm::relative_l2;
      bool         aitken             = false;                ///< Aitken relaxation instead of w = 1
      double       initial_relaxation = 1;                    ///< w_1 of Aitken (-), in (0, 1]
      std::string  parameter          = "Coupling/Staggered"; ///< where the settings come from
    };
    /// The outcome of solve().
    struct Report
    {
      unsigned int iterations = 0; ///< sweeps made
      double       change     = 0; ///< change of the last sweep (unit of the norm)
    };

    /// An iteration with @p settings.
    explicit StaggeredIteration(const Settings &settings);
    /// Sweeps @p group until the change is at most the tolerance; throws
    /// std::runtime_error naming @p what and the change if it is not reached
    /// within the maximum (the group is left at its last sweep).
    Report solve(CoupledGroup &group, const std::string &what) const;

  private:
    Settings settings;
  };

  /// A quasi-static load step of fields with an irreversible state (damage):
  /// what the fracture scheme drives through step halvings.
  class IrreversibleStep
  {
  public:
    virtual ~IrreversibleStep() = default;
    /// Solves from the committed state at @p start to @p target (s) and
    /// commits; throws if it fails, with the state then undefined.
    virtual void solve_to(double start, double target) = 0;
    /// Back to the committed state (after a failed solve_to()).
    virtual void reset() = 0;
  };

  /// Advances an IrreversibleStep from @p start to @p end (s): a failed step
  /// is retried from the committed state over half the remaining increment,
  /// up to @p max_halvings times (then a std::runtime_error names the time
  /// and the last failure). InputErrors pass through. @p log gets one line
  /// per retry. Returns the number of halvings.
  unsigned int advance_with_step_halving(IrreversibleStep &step, double start, double end, unsigned int max_halvings,
                                         const std::function<void(const std::string &)> &log);

  /// Fields that share one Newton system: the stacked unknowns x = (x_1, ...,
  /// x_n) of n fields (one block each) and the stacked residual R(x), where
  /// every field's block is evaluated with the other fields' blocks of the
  /// same iterate. What the monolithic scheme solves.
  class CoupledSystem
  {
  public:
    virtual ~CoupledSystem() = default;
    /// The current iterate x (owned entries, one block per field).
    virtual LA::MPI::BlockVector state() const = 0;
    /// Makes @p x the current iterate: every field sees the others' blocks of it.
    virtual void set_state(const LA::MPI::BlockVector &x) = 0;
    /// The residual R of the current iterate into @p r (blocks as the state).
    virtual void residual(LA::MPI::BlockVector &r) = 0;
    /// Applies the preconditioner: each field's approximate inverse of its
    /// own (diagonal) Jacobian block at the current iterate, @p z = P^-1 @p r.
    virtual void precondition(const LA::MPI::BlockVector &r, LA::MPI::BlockVector &z) = 0;
  };

  /// Newton's method on a CoupledSystem, all fields at once (Knoll and Keyes
  /// 2004; MOOSE's preconditioned Jacobian-free Newton-Krylov): each update
  /// solves J dx = -R by flexible (right-preconditioned) GMRES with the
  /// Jacobian-vector products J v = (R(x + e v) - R(x)) / e, so the
  /// off-diagonal (coupling) blocks need not be assembled, and the fields'
  /// own blocks precondition.
  /// A backtracking line search halves updates that do not reduce |R|.
  class MonolithicNewton
  {
  public:
    /// Settings; @p parameter names the entries in error messages.
    struct Settings
    {
      unsigned int max_iterations        = 20;    ///< Newton updates (-)
      double       tolerance             = 1e-8;  ///< |R| / |R(x_0)| that ends the iteration (-)
      double       absolute_tolerance    = 0;     ///< or |R| at most this (unit of R)
      double       linear_tolerance      = 1e-6;  ///< GMRES: relative residual of each update (-)
      unsigned int max_linear_iterations = 200;   ///< GMRES iterations per update (-)
      std::string  parameter             = "Coupling/Monolithic"; ///< where the settings come from
    };
    /// The outcome of solve().
    struct Report
    {
      unsigned int        iterations        = 0; ///< Newton updates made
      unsigned int        linear_iterations = 0; ///< GMRES iterations of all updates
      std::vector<double> residuals;             ///< |R| before each update and at the end
    };

    /// An iteration with @p settings.
    explicit MonolithicNewton(const Settings &settings);
    /// Solves R(x) = 0 from the system's current state, which is left at the
    /// solution; throws std::runtime_error naming @p what, the residual and
    /// the entry if the tolerance is not reached within the maximum.
    Report solve(CoupledSystem &system, const std::string &what) const;

  private:
    Settings settings;
  };

  /// A scalar unknown p of a coupled step (a Li pressure) and the residual
  /// R(p) that it zeroes (a volume balance), with the fields solved at p.
  class ScalarBalance
  {
  public:
    virtual ~ScalarBalance() = default;
    /// R(p) (unit of the balance) with every coupled field solved at @p p.
    virtual double residual(double p) = 0;
  };

  /// Solves R(p) = 0 for a residual that falls with p: secant steps until
  /// the root is bracketed, then the Illinois variant of regula falsi
  /// (secant steps that keep the bracket). A linear R takes at most three
  /// evaluations, two if a known slope (that of the last balance of a
  /// sequence of similar ones) makes the first step a Newton step.
  class PressureBalance
  {
  public:
    /// Settings; @p parameter names the entries in error messages.
    struct Settings
    {
      unsigned int max_iterations = 50;   ///< evaluations of R (-)
      double       tolerance      = 1e-9; ///< |R| / scale that ends the iteration (-)
      std::string  parameter      = "Coupling/Pressure balance"; ///< where the settings come from
    };
    /// The outcome of solve().
    struct Report
    {
      double       root        = 0;     ///< p
      double       residual    = 0;     ///< R(p)
      unsigned int evaluations = 0;     ///< evaluations of R
      bool         at_bound    = false; ///< R keeps its sign up to a bound, which is the root
      double       slope       = 0;     ///< dR/dp of the last two evaluations at distinct p (unit of R per unit of p), 0 if none
    };
    /// An iteration with @p settings.
    explicit PressureBalance(const Settings &settings);
    /// R(p) = 0 from the guess @p start within [@p lower, @p upper] to |R| <=
    /// tolerance * @p scale; the first change of p is the Newton step with
    /// @p slope if it is negative (an estimate of dR/dp, e.g. the last
    /// Report::slope), else @p step (unit of p) towards the root. If R keeps
    /// its sign up to a bound, the bound is returned (at_bound). Throws
    /// std::runtime_error naming @p what and the entry if the tolerance is not reached.
    Report solve(ScalarBalance &balance, double start, double step, double scale, double lower, double upper,
                 const std::string &what, double slope = 0) const;

  private:
    Settings settings;
  };

  /// The settings of subsection "Coupling": one place for every scheme
  /// that couples fields within a step. Its schemes are named objects:
  /// "staggered" (fields in turn, fixed point with optional Aitken
  /// relaxation) or "monolithic" (one Newton system, MonolithicNewton) for
  /// transient fields with elasticity, "alternate
  /// minimisation" (elasticity and damage staggered to convergence, the Li
  /// region's passes, step halving) for fracture.
  struct CouplingParameters
  {
    std::string                  scheme          = "staggered";              ///< Coupling/Scheme
    std::string                  fracture_scheme = "alternate minimisation"; ///< Coupling/Fracture scheme
    StaggeredIteration::Settings staggered;                                  ///< Coupling/Staggered
    StaggeredIteration::Settings alternate_minimisation;                     ///< Coupling/Alternate minimisation
    MonolithicNewton::Settings   monolithic;                                 ///< Coupling/Monolithic
    PressureBalance::Settings    pressure_balance;                           ///< Coupling/Pressure balance
    unsigned int                 step_halvings = 10; ///< failed load steps halved at most this often (-)
    unsigned int                 region_passes = 0;  ///< Li region passes per load step (-); 0: after it

    CouplingParameters();
    /// Declares subsection "Coupling".
    static void declare_parameters(dealii::ParameterHandler &prm);
    /// Reads subsection "Coupling"; an entry set at its old place is an
    /// InputError naming the new one.
    void parse_parameters(dealii::ParameterHandler &prm);
  };
} // namespace dendra
