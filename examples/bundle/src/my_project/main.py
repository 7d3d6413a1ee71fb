import argparse

from my_project import taxis


def main():
    # Process command-line arguments
    parser = argparse.ArgumentParser(
        description="Databricks job with catalog and schema parameters",
    )
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--schema", required=True)
    args = parser.parse_args()

    print(f"python_wheel_task: catalog={args.catalog} schema={args.schema}")
    # Example: the longest trips of a small sample
    for trip in taxis.longest_trips(3):
        print(f"{trip['pickup_zip']} -> {trip['dropoff_zip']}: {trip['trip_distance']} miles")


if __name__ == "__main__":
    main()
