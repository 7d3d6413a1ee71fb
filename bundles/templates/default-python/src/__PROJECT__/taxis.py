"""A few taxi trips, shaped like the samples.nyctaxi.trips table."""

TRIPS = [
    {"trip_distance": 1.4, "fare_amount": 8.0, "pickup_zip": 10282, "dropoff_zip": 10171},
    {"trip_distance": 8.3, "fare_amount": 29.5, "pickup_zip": 10110, "dropoff_zip": 11238},
    {"trip_distance": 0.6, "fare_amount": 5.0, "pickup_zip": 10103, "dropoff_zip": 10110},
    {"trip_distance": 17.1, "fare_amount": 52.0, "pickup_zip": 11430, "dropoff_zip": 10023},
    {"trip_distance": 2.9, "fare_amount": 12.5, "pickup_zip": 10001, "dropoff_zip": 10016},
]


def longest_trips(n):
    """The n longest trips, longest first."""
    return sorted(TRIPS, key=lambda t: t["trip_distance"], reverse=True)[:n]
