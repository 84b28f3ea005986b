/*
 * count_grid_generator: a realized drive (one train per target) sent to NEST as one grid of counts.
 *
 * One device holds what a realized drive sends: counts[row * columns + column] spikes emitted in step
 * first_step + row towards the column's target (targets[column], a node id). Each step it sends one
 * event through its connections, as poisson_generator does; per target, the event carries the grid's
 * count as its multiplicity (nothing is sent for a zero). So a drive of N trains costs one device and
 * one read per target and step, where N spike_generators cost N nodes and a call each per min_delay.
 * The spike of emission step k is stamped (k + 1) dt, as a neuron's and as spike_generator's at that
 * time: the same arrivals, so the same spikes (tests/backends/test_nest.py holds them to both).
 *
 * Built and cached by neurobridge (backends/nest/count_grid.py) against the NEST wheel's headers.
 * Each thread's copy holds one byte a cell when every count fits one, else two.
 * The counts arrive as a string of code points (one per cell, UTF-8 encoded by PyNEST), the only
 * bulk type PyNEST passes without boxing every element. The device's start/stop are not used.
 */

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "event_delivery_manager_impl.h"
#include "exceptions.h"
#include "kernel_manager.h"
#include "nest_extension_interface.h"
#include "stimulation_device.h"

namespace neurobridge
{

class count_grid_generator : public nest::StimulationDevice
{
public:
  count_grid_generator() = default;
  count_grid_generator( const count_grid_generator& ) = default;

  using nest::Node::event_hook;

  size_t
  send_test_event( nest::Node& target, size_t receptor_type, nest::synindex syn_id, bool dummy_target ) override
  {
    StimulationDevice::enforce_single_syn_type( syn_id );
    if ( dummy_target )
    {
      nest::DSSpikeEvent e;
      e.set_sender( *this );
      return target.handles_test_event( e, receptor_type );
    }
    nest::SpikeEvent e;
    e.set_sender( *this );
    return target.handles_test_event( e, receptor_type );
  }

  void
  get_status( Dictionary& d ) const override
  {
    d[ "columns" ] = columns_;
    d[ "rows" ] = columns_ ? cells_ / columns_ : 0;
    d[ "bytes_per_cell" ] = static_cast< long >( wide_.empty() ? 1 : 2 );
    d[ "first_step" ] = first_step_;
    d[ "targets" ] = targets_;
    StimulationDevice::get_status( d );
  }

  void
  set_status( const Dictionary& d ) override
  {
    std::string encoded;
    std::vector< long > targets = targets_;
    long first_step = first_step_;
    const bool new_counts = d.update_value( "counts", encoded );
    d.update_value( "targets", targets );
    d.update_value( "first_step", first_step );
    std::vector< std::uint16_t > counts;
    if ( new_counts )
    {
      counts = decode_( encoded );
      if ( targets.empty() or counts.size() % targets.size() != 0 )
      {
        throw nest::BadProperty( "counts must hold whole rows of one cell per target." );
      }
    }
    if ( first_step < 0 )
    {
      throw nest::BadProperty( "first_step must be a step >= 0." );
    }
    std::vector< long > sorted( targets );
    std::sort( sorted.begin(), sorted.end() );
    if ( std::adjacent_find( sorted.begin(), sorted.end() ) != sorted.end() or ( not sorted.empty() and sorted[ 0 ] < 1 ) )
    {
      throw nest::BadProperty( "targets must be distinct node ids (>= 1)." );
    }
    StimulationDevice::set_status( d );
    first_step_ = first_step;
    if ( new_counts )
    {
      store_( counts );
    }
    targets_ = targets;
    columns_ = static_cast< long >( targets_.size() );
    index_targets_();
  }

  StimulationDevice::Type
  get_type() const override
  {
    return StimulationDevice::Type::SPIKE_GENERATOR;
  }

private:
  void
  init_state_() override
  {
    StimulationDevice::init_state();
  }

  void
  init_buffers_() override
  {
    StimulationDevice::init_buffers();
  }

  void
  pre_run_hook() override
  {
    StimulationDevice::pre_run_hook();
  }

  void
  update( nest::Time const& origin, const long from, const long to ) override
  {
    const long rows = columns_ ? cells_ / columns_ : 0;
    for ( long lag = from; lag < to; ++lag )
    {
      const long row = origin.get_steps() + lag - first_step_;
      if ( row < 0 or row >= rows )
      {
        continue;
      }
      row_ = row * columns_;
      nest::DSSpikeEvent se;
      nest::kernel().event_delivery_manager.send( *this, se, lag );
    }
  }

  void
  event_hook( nest::DSSpikeEvent& e ) override
  {
    const long id = static_cast< long >( e.get_receiver().get_node_id() );
    const long offset = id - lowest_target_;
    if ( offset < 0 or offset >= static_cast< long >( column_of_.size() ) or column_of_[ offset ] < 0 )
    {
      return;
    }
    const long cell = row_ + column_of_[ offset ];
    const std::uint16_t n = wide_.empty() ? narrow_[ cell ] : wide_[ cell ];
    if ( n > 0 )
    {
      e.set_multiplicity( n );
      e.get_receiver().handle( e );
    }
  }

  void
  store_( std::vector< std::uint16_t >& counts )
  {
    cells_ = static_cast< long >( counts.size() );
    const bool narrow = std::all_of( counts.begin(), counts.end(), []( std::uint16_t n ) { return n < 256; } );
    std::vector< std::uint8_t >( narrow ? counts.begin() : counts.end(), counts.end() ).swap( narrow_ );
    std::vector< std::uint16_t >().swap( wide_ );
    if ( not narrow )
    {
      wide_.swap( counts );
    }
  }

  static std::vector< std::uint16_t >
  decode_( const std::string& text )
  {
    std::vector< std::uint16_t > out;
    out.reserve( text.size() );
    const auto* p = reinterpret_cast< const unsigned char* >( text.data() );
    const auto* end = p + text.size();
    while ( p < end )
    {
      if ( *p < 0x80 )
      {
        out.push_back( *p++ );
      }
      else if ( ( *p & 0xE0 ) == 0xC0 and p + 1 < end )
      {
        out.push_back( static_cast< std::uint16_t >( ( ( p[ 0 ] & 0x1F ) << 6 ) | ( p[ 1 ] & 0x3F ) ) );
        p += 2;
      }
      else if ( ( *p & 0xF0 ) == 0xE0 and p + 2 < end )
      {
        out.push_back(
          static_cast< std::uint16_t >( ( ( p[ 0 ] & 0x0F ) << 12 ) | ( ( p[ 1 ] & 0x3F ) << 6 ) | ( p[ 2 ] & 0x3F ) ) );
        p += 3;
      }
      else
      {
        throw nest::BadProperty( "counts must be code points below 65536." );
      }
    }
    return out;
  }

  void
  index_targets_()
  {
    column_of_.clear();
    if ( targets_.empty() )
    {
      return;
    }
    long lowest = targets_[ 0 ], highest = targets_[ 0 ];
    for ( const long id : targets_ )
    {
      lowest = std::min( lowest, id );
      highest = std::max( highest, id );
    }
    lowest_target_ = lowest;
    column_of_.assign( highest - lowest + 1, -1 );
    for ( size_t column = 0; column < targets_.size(); ++column )
    {
      column_of_[ targets_[ column ] - lowest ] = static_cast< long >( column );
    }
  }

  //! The counts, one byte a cell when every count fits one (narrow_), else two (wide_); the other is empty.
  std::vector< std::uint8_t > narrow_;
  std::vector< std::uint16_t > wide_;
  long cells_ = 0;
  std::vector< long > targets_;
  std::vector< long > column_of_;
  long columns_ = 0;
  long first_step_ = 0;
  long lowest_target_ = 0;
  long row_ = 0;  //!< the first cell of the row being sent
};

}  // namespace neurobridge

class neurobridge_count_grid_module : public nest::NESTExtensionInterface
{
public:
  void
  initialize() override
  {
    nest::register_node_model< neurobridge::count_grid_generator >( "count_grid_generator" );
  }
};

neurobridge_count_grid_module neurobridge_count_grid_module_LTX_module;
