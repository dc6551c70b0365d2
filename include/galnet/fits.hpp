// galnet/fits.hpp — FITS cutouts with the asinh stretch (optional part: link galnet::fits,
// which needs CFITSIO).
#pragma once
#include "galnet/data/fits.hpp"
