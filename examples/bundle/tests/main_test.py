from my_project import taxis


def test_longest_trips():
    trips = taxis.longest_trips(2)
    assert [t["trip_distance"] for t in trips] == [17.1, 8.3]
